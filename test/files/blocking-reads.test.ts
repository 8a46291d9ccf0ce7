/**
 * `useBlockingReads()` (one-shot CLI commands read state files with blocking calls): every read
 * returns or throws exactly what the async reads do — a regular file, a missing one, a BOM, a link, a
 * directory, a FIFO (which must not hang), a file that is not readable. The switch is per process
 * (vitest runs each test file in its own), so each case is read the async way first, then the
 * switch is thrown and the same cases are read again.
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import {
  JsonStateFile,
  readTextFollowingLinks,
  readTextIfExists,
  useBlockingReads,
} from "../../src/files/json-state-file.js";

const Schema = z.looseObject({ version: z.number(), items: z.array(z.string()).default([]) });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-blocking-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** What a read gave: its value, or its error's code and message (the words people see). */
async function outcome(read: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await read() };
  } catch (err) {
    const e = err as { code?: string; message?: string; hint?: string };
    return { error: e.code, message: e.message, hint: e.hint };
  }
}

/** Every kind of path a state file read meets, made fresh under `dir`. */
async function makeCases(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const at = (name: string) => join(dir, name);
  await writeFile(at("plain.json"), `${JSON.stringify({ version: 1, items: ["a"] })}\n`);
  await writeFile(at("bom.json"), `\uFEFF${JSON.stringify({ version: 2 })}`);
  await writeFile(at("broken.json"), "{ not json");
  await symlink(at("plain.json"), at("link.json"));
  await mkdir(at("dir.json"));
  execFileSync("mkfifo", [at("fifo.json")]);
  await writeFile(at("unreadable.json"), "{}");
  await chmod(at("unreadable.json"), 0o000);
  return Object.fromEntries(
    ["plain", "bom", "broken", "link", "dir", "fifo", "unreadable", "missing"].map((n) => [
      n,
      at(`${n}.json`),
    ]),
  );
}

async function readAll(cases: Record<string, string>): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(cases)) {
    results[`${name} readTextIfExists`] = await outcome(() => readTextIfExists(path));
    results[`${name} readTextFollowingLinks`] = await outcome(() => readTextFollowingLinks(path));
    results[`${name} JsonStateFile.read`] = await outcome(() =>
      new JsonStateFile(path, Schema, () => ({ version: 0, items: [] })).read(),
    );
  }
  // The paths differ (each mode has its own directory); the words around them must not.
  return JSON.parse(JSON.stringify(results).replaceAll(cases.plain!.replace(/plain\.json$/, ""), "<dir>/"));
}

it("reads and refuses exactly as the async reads do", async () => {
  const asyncWay = await readAll(await makeCases(join(root, "async")));
  useBlockingReads();
  const blockingWay = await readAll(await makeCases(join(root, "blocking")));
  expect(blockingWay).toEqual(asyncWay);
  // The cases really are different outcomes, not one error everywhere.
  expect(asyncWay["plain JsonStateFile.read"]).toEqual({ value: { version: 1, items: ["a"] } });
  expect(asyncWay["bom readTextIfExists"]).toEqual({ value: '{"version":2}' });
  expect(asyncWay["missing readTextIfExists"]).toEqual({ value: undefined });
  expect(asyncWay["link readTextIfExists"]).toMatchObject({ error: "FILE_LINK" });
  expect(asyncWay["link readTextFollowingLinks"]).toMatchObject({ value: expect.stringContaining('"a"') });
  expect(asyncWay["fifo readTextIfExists"]).toMatchObject({ error: expect.any(String) });
  expect(asyncWay["broken JsonStateFile.read"]).toMatchObject({ error: "FILE_CORRUPT" });
});
