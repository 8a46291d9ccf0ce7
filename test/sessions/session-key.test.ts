import { describe, expect, it } from "vitest";
import { sessionKeyFor } from "../../src/sessions/session-key.js";

describe("sessionKeyFor", () => {
  it.each([
    [{ channel: "telegram", chatType: "dm", chatId: "42", senderId: "42" }, "agent:main:telegram:dm:42"],
    [{ channel: "discord", chatType: "dm", chatId: "dmchan", senderId: "77" }, "agent:main:discord:dm:77"],
    [
      { channel: "telegram", chatType: "group", chatId: "-100", senderId: "42" },
      "agent:main:telegram:group:-100",
    ],
    [
      { channel: "telegram", chatType: "group", chatId: "-100", senderId: "42", topicId: "7" },
      "agent:main:telegram:group:-100:topic:7",
    ],
    [
      { channel: "discord", chatType: "channel", chatId: "c1", senderId: "77" },
      "agent:main:discord:channel:c1",
    ],
    [
      { channel: "discord", chatType: "channel", chatId: "c1", senderId: "77", threadId: "t9" },
      "agent:main:discord:channel:c1:thread:t9",
    ],
    [{ channel: "console", chatType: "dm", chatId: "local", senderId: "alice" }, "agent:main:console:local"],
  ] as const)("%j → %s", (address, key) => {
    expect(sessionKeyFor("main", address)).toBe(key);
  });

  it("gives every DM sender their own session and a group one shared session", () => {
    const a = sessionKeyFor("main", { channel: "telegram", chatType: "dm", chatId: "1", senderId: "1" });
    const b = sessionKeyFor("main", { channel: "telegram", chatType: "dm", chatId: "2", senderId: "2" });
    expect(a).not.toBe(b);
    const g1 = sessionKeyFor("work", { channel: "telegram", chatType: "group", chatId: "-5", senderId: "1" });
    const g2 = sessionKeyFor("work", { channel: "telegram", chatType: "group", chatId: "-5", senderId: "2" });
    expect(g1).toBe(g2);
    expect(g1).toBe("agent:work:telegram:group:-5");
  });
});
