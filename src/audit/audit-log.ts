import { constants } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { stringifyForTerminal } from "../control-chars.js";
import { ensurePrivateDir, FILE_MODE } from "../files/atomic-write.js";
import { fsFailure } from "../files/fs-errors.js";
import { readTextIfExists } from "../files/json-state-file.js";
import {
  isLinkRefusal,
  linkError,
  mayChmod,
  NO_FOLLOW,
  notRegularError,
} from "../files/state-file-checks.js";

/**
 * One line of `<state>/audit.jsonl`: who changed which credential, order, pin or default, from where
 * and when. Never holds a secret — profile ids, types and fingerprints only.
 */
export const AuditEntrySchema = z.looseObject({
  ts: z.string(),
  /** `cli:<os user>`, `telegram:<user id>`, `discord:<user id>`, `console:local`, `tessera` for automatic changes. */
  actor: z.string(),
  /** `cli`, `chat`, `runtime`, `sync`, `doctor`, `import`, `onboard`. */
  surface: z.string(),
  action: z.string(),
  agent: z.string().optional(),
  target: z.string().optional(),
  detail: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Who is making a change and through which surface; passed down to every audited operation. */
export interface Actor {
  actor: string;
  surface: string;
}

/**
 * Append-only audit log. Each entry is one `write` in append mode, which the kernel keeps whole even
 * with several processes appending, so no lock is needed; each starts on a fresh line.
 */
export class AuditLog {
  constructor(readonly path: string) {}

  async append(
    who: Actor,
    action: string,
    fields: { agent?: string; target?: string; detail?: string } = {},
  ) {
    const entry: AuditEntry = { ts: new Date().toISOString(), ...who, action, ...fields };
    await ensurePrivateDir(dirname(this.path));
    // Escaped beyond JSON's C0 rule, so `cat audit.jsonl` or `tail -f` can never act on a terminal.
    const line = `${stringifyForTerminal(entry)}\n`;
    const handle = await openForAppend(this.path).catch((err) => {
      throw fsFailure(err, this.path, "append to");
    });
    try {
      // A last line cut off (a full disk, a crash mid-write, an editor) must not swallow this entry:
      // it starts on a line of its own. Two processes may both see the cut and both add a line
      // break; an empty line is skipped by every reader, a glued one is lost.
      const info = await handle.stat();
      const prefix = info.size > 0 && !(await endsWithNewline(handle, info.size)) ? "\n" : "";
      await handle.write(prefix + line);
      if ((info.mode & 0o777) !== FILE_MODE && mayChmod(info)) await handle.chmod(FILE_MODE);
    } catch (err) {
      throw fsFailure(err, this.path, "append to");
    } finally {
      await handle.close();
    }
  }

  /** Entries at or after `since` (epoch ms); unreadable lines are reported, not dropped silently. */
  async read(since = 0): Promise<{ entries: AuditEntry[]; badLines: number[] }> {
    const text = (await readTextIfExists(this.path)) ?? "";
    const entries: AuditEntry[] = [];
    const badLines: number[] = [];
    text.split("\n").forEach((line, index) => {
      if (line.trim() === "") return;
      try {
        const entry = AuditEntrySchema.parse(JSON.parse(line));
        if (Date.parse(entry.ts) >= since) entries.push(entry);
      } catch {
        badLines.push(index + 1);
      }
    });
    return { entries, badLines };
  }
}

async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  const { bytesRead } = await handle.read(last, 0, 1, size - 1);
  return bytesRead === 1 && last[0] === 0x0a;
}

/** The log opened to append (and to read its last byte), created 0600, never through a link. */
async function openForAppend(path: string): Promise<FileHandle> {
  // Non-blocking, so a FIFO in its place is refused below instead of hanging the command.
  const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | NO_FOLLOW;
  let handle: FileHandle;
  try {
    handle = await open(path, flags, FILE_MODE);
  } catch (err) {
    if (await isLinkRefusal(err, path)) throw await linkError(path, "audit log");
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw notRegularError(path, await lstat(path));
    throw err;
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw notRegularError(path, info);
  }
  return handle;
}
