import type { z } from "zod";

/**
 * Turns a zod error into `path: message` lines, the form every validation error takes for people
 * (`channels.telegram.allowFrom.0: expected string, received number`). An issue at the root is
 * labelled `(root)` so no line starts with a bare colon.
 */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    return `${path}: ${issue.message}`;
  });
}
