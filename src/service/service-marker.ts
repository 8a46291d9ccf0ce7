/**
 * The line that makes a service file Tessera's own. `install` replaces and `uninstall` removes only a
 * file that carries it: a unit or plist someone wrote by hand under the same name is theirs, and is
 * refused rather than overwritten or deleted. The text is the same in both formats; only the comment
 * syntax around it differs.
 */
export const MARKER_TEXT = "Written by tessera gateway install; tessera gateway uninstall removes it.";

/** The marker as a systemd comment line (`#`). */
export const SYSTEMD_MARKER_LINE = `# ${MARKER_TEXT}`;

/** The marker as an XML comment line, for the launchd plist. */
export const PLIST_MARKER_LINE = `<!-- ${MARKER_TEXT} -->`;

/** Whether a service file's text carries the marker on a line of its own (either syntax). */
export function isTesseraServiceFile(text: string): boolean {
  return text.split("\n").some((line) => {
    const trimmed = line.trim();
    return trimmed === SYSTEMD_MARKER_LINE || trimmed === PLIST_MARKER_LINE;
  });
}
