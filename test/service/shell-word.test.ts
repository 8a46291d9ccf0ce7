import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellWord } from "../../src/service/shell-word.js";

describe("shellWord", () => {
  it("leaves plain paths alone", () => {
    expect(shellWord("/usr/bin/node")).toBe("/usr/bin/node");
    expect(shellWord("--state-dir")).toBe("--state-dir");
  });

  it("quotes anything else so that sh reads back the same word", () => {
    const words = [
      "",
      "a b",
      "it's",
      "$(id -u)",
      "back\\slash",
      '"q"',
      "semi;colon",
      "glob*?",
      "new\nline",
      "~/x",
    ];
    for (const word of words) {
      const result = spawnSync("sh", ["-c", `printf '%s' ${shellWord(word)}`], { encoding: "utf8" });
      expect(result.stdout).toBe(word);
    }
  });
});
