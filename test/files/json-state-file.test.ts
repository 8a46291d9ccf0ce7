import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { JsonStateFile, serialize } from "../../src/files/json-state-file.js";
import { tesseraErrorOf } from "../support/errors.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const Schema = z.looseObject({
  version: z.number(),
  items: z.array(z.string()).default([]),
  counts: z.record(z.string(), z.number()).default({}),
});
type Data = z.infer<typeof Schema>;
const empty = (): Data => ({ version: 1, items: [], counts: {} });

let root: string;
let dir: string;
let path: string;
let file: JsonStateFile<Data>;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-state-"));
  dir = join(root, "agent");
  path = join(dir, "state.json");
  file = new JsonStateFile(path, Schema, empty);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe("JsonStateFile.read", () => {
  it("returns the empty value for a missing file and creates nothing", async () => {
    expect(await file.read()).toEqual(empty());
    await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("returns what update wrote, formatted stably", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    expect(await file.read()).toEqual({ version: 1, items: ["a"], counts: {} });
    expect(await readFile(path, "utf8")).toBe(serialize({ version: 1, items: ["a"], counts: {} }));
  });

  it("reuses an unchanged file's parse, but sees every change: its own writes, another writer's, an in-place edit", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    const first = await file.read();
    first.items.push("mutated by a caller");
    expect((await file.read()).items).toEqual(["a"]);
    // Another process (another object on the same file) replaces it.
    await new JsonStateFile(path, Schema, empty).update((d) => {
      d.items.push("b");
    });
    expect((await file.read()).items).toEqual(["a", "b"]);
    // An editor writes in place, same length: the times change, so it is read again.
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"b"', '"c"'));
    expect((await file.read()).items).toEqual(["a", "c"]);
    await rm(path);
    expect(await file.read()).toEqual(empty());
  });
});

describe("a corrupt file", () => {
  it("is FILE_CORRUPT naming the path, on read and on update, and its bytes are never changed", async () => {
    await mkdir(dir, { recursive: true });
    const secret = fakeSecret("sk-ant-api03-");
    // Truncated mid-way through a secret, as a crash of a non-atomic writer would leave it.
    const bytes = `{"version":1,"items":["${secret}`;
    await writeFile(path, bytes);
    const before = await stat(path);

    const onRead = await tesseraErrorOf(file.read());
    expect(onRead.code).toBe("FILE_CORRUPT");
    expect(onRead.message).toContain(path);
    expect(onRead.hint).toBeTruthy();

    const onUpdate = await tesseraErrorOf(
      file.update((d) => {
        d.items.push("would-overwrite");
      }),
    );
    expect(onUpdate.code).toBe("FILE_CORRUPT");
    expect(onUpdate.message).toContain(path);

    expect(await readFile(path, "utf8")).toBe(bytes);
    const after = await stat(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    // No temp file and no lock left behind by the refused update.
    expect(await readdir(dir)).toEqual(["state.json"]);
    for (const err of [onRead, onUpdate]) expectNoSecretIn(`${err.message}\n${err.hint}`, [secret]);
  });

  it("never quotes the file in the error, even where V8 would", async () => {
    await mkdir(dir, { recursive: true });
    const secret = fakeSecret("tok_");
    // An unquoted value: V8's own message would be `Unexpected token … "{"items": tok_…"… is not valid JSON`.
    await writeFile(path, `{"items": ${secret}}`);
    const err = await tesseraErrorOf(file.read());
    expect(err.code).toBe("FILE_CORRUPT");
    expectNoSecretIn(`${err.message}\n${err.hint}`, [secret]);
  });

  it("says where the damage is", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, '{\n  "version": 1,\n  "items": ["a" "b"]\n}\n');
    const err = await tesseraErrorOf(file.read());
    expect(err.message).toContain("after array element at line 3 column 17");
  });

  it("an empty file is corrupt, not empty data", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, "");
    expect((await tesseraErrorOf(file.read())).code).toBe("FILE_CORRUPT");
    expect((await tesseraErrorOf(file.update(() => {}))).code).toBe("FILE_CORRUPT");
    expect(await readFile(path, "utf8")).toBe("");
  });
});

describe("a file that parses but does not match the schema", () => {
  it("is FILE_INVALID with path: message lines, and is left as it was", async () => {
    await mkdir(dir, { recursive: true });
    const secret = fakeSecret("sk-ant-api03-");
    const bytes = JSON.stringify({ version: "one", items: [secret, 7] });
    await writeFile(path, bytes);
    const onRead = await tesseraErrorOf(file.read());
    expect(onRead.code).toBe("FILE_INVALID");
    expect(onRead.message).toContain(path);
    expect(onRead.message).toContain("version:");
    expect(onRead.message).toContain("items.1:");
    const onUpdate = await tesseraErrorOf(
      file.update((d) => {
        d.version = 1;
      }),
    );
    expect(onUpdate.code).toBe("FILE_INVALID");
    expect(await readFile(path, "utf8")).toBe(bytes);
    for (const err of [onRead, onUpdate]) expectNoSecretIn(`${err.message}\n${err.hint}`, [secret]);
  });
});

describe("JsonStateFile.update", () => {
  it("writes 0600 in a 0700 directory every time, even after someone loosened both", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, serialize(empty()));
    await chmod(dir, 0o755);
    await chmod(path, 0o644);
    for (let i = 0; i < 3; i++) {
      await file.update((d) => {
        d.items.push(String(i));
      });
      expect(await modeOf(path)).toBe(0o600);
      expect(await modeOf(dir)).toBe(0o700);
      await chmod(dir, 0o755);
      await chmod(path, 0o644);
    }
    expect((await file.read()).items).toEqual(["0", "1", "2"]);
  });

  it("does not rewrite the file when the mutation changed nothing", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    const before = await stat(path);
    const result = await file.update((d) => {
      d.items = [...d.items];
      return "unchanged";
    });
    expect(result).toBe("unchanged");
    const after = await stat(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("does not rewrite a file formatted by another tool when nothing changed", async () => {
    await mkdir(dir, { recursive: true });
    // Compact, and without the keys our schema defaults: the parsed data differs from the text.
    const bytes = '{"version":1,"items":["a"],"extra":{"kept":true}}';
    await writeFile(path, bytes);
    const before = await stat(path);
    await file.update(() => {});
    expect(await readFile(path, "utf8")).toBe(bytes);
    expect((await stat(path)).ino).toBe(before.ino);
  });

  it("does not create a missing file for a no-op", async () => {
    await file.update(() => {});
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("keeps unknown fields through a change", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, '{"version":1,"items":[],"extra":{"kept":true}}');
    await file.update((d) => {
      d.items.push("b");
    });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      version: 1,
      items: ["b"],
      counts: {},
      extra: { kept: true },
    });
  });

  it("refuses to write data that breaks the schema and leaves the file as it was", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    const bytes = await readFile(path, "utf8");
    const err = await tesseraErrorOf(
      file.update((d) => {
        (d as { version: unknown }).version = "broken";
      }),
    );
    expect(err.code).toBe("FILE_INVALID");
    expect(err.message).toContain("refusing to write");
    expect(await readFile(path, "utf8")).toBe(bytes);
  });

  it("a mutation that throws writes nothing and releases the lock", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    await expect(
      file.update((d) => {
        d.items.push("lost");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await file.read()).items).toEqual(["a"]);
    expect(await readdir(dir)).toEqual(["state.json"]);
    // The next update gets the lock at once.
    await file.update((d) => {
      d.items.push("b");
    });
    expect((await file.read()).items).toEqual(["a", "b"]);
  });

  it("serialises concurrent updates in one process without losing any", async () => {
    const other = new JsonStateFile(path, Schema, empty); // a second handle on the same file
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? file : other).update(async (d) => {
          const n = d.counts.n ?? 0;
          await new Promise((r) => setImmediate(r)); // yield mid-update, as real I/O would
          d.counts.n = n + 1;
          d.items.push(String(i));
        }),
      ),
    );
    const data = await file.read();
    expect(data.counts.n).toBe(60);
    expect(data.items).toHaveLength(60);
  });

  it("removes temp files left by a writer that died, and ignores them as data", async () => {
    await file.update((d) => {
      d.items.push("a");
    });
    const garbage = join(dir, ".state.json.99999.deadbeef.tmp");
    await writeFile(garbage, '{"version":1,"items":["torn');
    expect((await file.read()).items).toEqual(["a"]);
    await file.update((d) => {
      d.items.push("b");
    });
    expect(await readdir(dir)).toEqual(["state.json"]);
    expect((await file.read()).items).toEqual(["a", "b"]);
  });
});
