import type { z } from "zod";

/**
 * Turns a zod error into `path: message` lines, the form every validation error takes for people
 * (`channels.telegram.allowFrom.0: expected string, received number`). An issue at the root is
 * labelled `(root)` so no line starts with a bare colon. A misspelled key gets a line of its own
 * with the key in the path (`channels.telegram.alowFrom: unknown key`), since zod reports unknown keys
 * at the parent object; a bad record key says what was wrong with it.
 */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
    }
    if (issue.code === "invalid_key") {
      const why = issue.issues.map((inner) => inner.message).join("; ");
      return [`${formatPath(issue.path)}: invalid key${why ? `: ${why}` : ""}`];
    }
    return [`${formatPath(issue.path)}: ${issue.message}`];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}
