/**
 * Issue 12, item 7: a cut-off last line of audit.jsonl (a full disk, a crash mid-write) swallowed the
 * next entry, which was appended onto the broken line and became unreadable with it. Every append
 * now starts on a fresh line.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-audit-cut-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it("an entry after a cut-off line is on a line of its own and readable", async () => {
  const log = new AuditLog(join(dir, "audit.jsonl"));
  await log.append({ actor: "cli:a", surface: "cli" }, "profile.add", { target: "anthropic:one" });
  const whole = await readFile(log.path, "utf8");
  // The next entry was cut off half way.
  await writeFile(log.path, `${whole}{"ts":"2025-01-01T00:00:00.000Z","actor":"cli:a","act`);
  await log.append({ actor: "cli:a", surface: "cli" }, "profile.add", { target: "anthropic:two" });
  await log.append({ actor: "cli:a", surface: "cli" }, "profile.add", { target: "anthropic:three" });
  const { entries, badLines } = await log.read();
  expect(entries.map((e) => e.target)).toEqual(["anthropic:one", "anthropic:two", "anthropic:three"]);
  expect(badLines).toEqual([2]);
  const lines = (await readFile(log.path, "utf8")).split("\n");
  expect(lines).toHaveLength(5); // one, the cut line, two, three, and the final empty string
  expect(lines.at(-1)).toBe("");
});

it("a healthy log gets no blank lines", async () => {
  const log = new AuditLog(join(dir, "audit.jsonl"));
  for (let i = 0; i < 3; i++)
    await log.append({ actor: "cli:a", surface: "cli" }, "order.set", { target: `p${i}` });
  expect((await readFile(log.path, "utf8")).split("\n").filter((l) => l === "")).toHaveLength(1);
});
