import { code } from "../src/router/markup.js";
import type { CommandDefinition } from "../src/router/registry.js";
import { modelLabel } from "./model-input.js";

/**
 * `/new`: forgets this chat's conversation history and keeps its pins — the reply says which pins
 * stayed, so nobody is surprised that the model did not change. Audited like a pin change.
 */
export const newCommand: CommandDefinition = {
  name: "new",
  description: "Start a new conversation (pins stay)",
  usage: [{ form: "/new", description: "forget this chat's conversation; model and credential pins stay" }],
  access: "anyone",
  chats: "any",
  async run(ctx) {
    const { config, sessions } = ctx.services;
    const { dropped, pins } = await sessions.newConversation(ctx.sessionKey, ctx.actor);
    const first =
      dropped > 0
        ? `Started a new conversation; the ${dropped} earlier message${dropped === 1 ? " is" : "s are"} forgotten.`
        : "Started a new conversation.";
    if (pins.model === undefined && pins.profile === undefined) {
      return {
        text: `${first}\n/new keeps pins; none is set here, so this chat uses the default model ${modelLabel(config, config.models.default)}.`,
      };
    }
    const kept = [
      pins.model !== undefined ? `model ${modelLabel(config, pins.model)}` : undefined,
      pins.profile !== undefined
        ? ctx.isOwner
          ? `credential ${code(pins.profile)}`
          : "the credential an owner pinned"
        : undefined,
    ].filter(Boolean);
    return { text: `${first}\nPins stay: ${kept.join(", ")}. /model reset unpins them.` };
  },
};
