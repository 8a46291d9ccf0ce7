/**
 * What Discord checks before it accepts a message, an interaction response or a command list, and
 * the error bodies it answers with, so a renderer or registration bug fails against the stand-in
 * the way it would fail against Discord instead of passing silently.
 *
 * Limits are Discord's documented ones (content 2000 code points, 5 action rows of up to 5 buttons,
 * a select alone in its row with 1–25 options, custom_id 100, button label 80, option label, value
 * and description 100, 25 autocomplete choices, command names `^[-_'\p{L}\p{N}]{1,32}$` lower-case,
 * descriptions 1–100, 25 options). Error codes (50035 with nested `errors`, 50006, 40060, 10062…)
 * are Discord's; the leaf codes and messages follow Discord's published shapes, but the exact
 * wording of the rarer leaves (component type, required-option order) is this fake's.
 *
 * Known simplifications: Components V2 messages (flag 1 << 15) are accepted without checking their
 * layout; embeds are checked for count and main field lengths only; allowed_mentions is not checked.
 */

import {
  type FormErrorLeaf,
  type FormErrors,
  formErrorAt,
  LENGTH_ERRORS,
  MESSAGE_FLAGS,
} from "./discord-payloads.js";
import type { JsonObject } from "./http-fake.js";

/** Discord's JSON error body. */
export interface DiscordErrorBody {
  message: string;
  code: number;
  errors?: FormErrors;
}

/** Thrown by the fake's handlers to answer with a Discord error. */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: DiscordErrorBody,
  ) {
    super(body.message);
  }
}

/** The errors Discord answers with, by what went wrong. */
export const API_ERRORS = {
  unauthorized: () => new DiscordApiError(401, { message: "401: Unauthorized", code: 0 }),
  notFound: () => new DiscordApiError(404, { message: "404: Not Found", code: 0 }),
  methodNotAllowed: () => new DiscordApiError(405, { message: "405: Method Not Allowed", code: 0 }),
  unknownApplication: () => new DiscordApiError(404, { message: "Unknown Application", code: 10002 }),
  unknownChannel: () => new DiscordApiError(404, { message: "Unknown Channel", code: 10003 }),
  unknownGuild: () => new DiscordApiError(404, { message: "Unknown Guild", code: 10004 }),
  unknownMessage: () => new DiscordApiError(404, { message: "Unknown Message", code: 10008 }),
  unknownUser: () => new DiscordApiError(404, { message: "Unknown User", code: 10013 }),
  unknownWebhook: () => new DiscordApiError(404, { message: "Unknown Webhook", code: 10015 }),
  invalidWebhookToken: () => new DiscordApiError(401, { message: "Invalid Webhook Token", code: 50027 }),
  unknownInteraction: () => new DiscordApiError(404, { message: "Unknown interaction", code: 10062 }),
  unknownCommand: () => new DiscordApiError(404, { message: "Unknown application command", code: 10063 }),
  cannotEditOthers: () =>
    new DiscordApiError(403, { message: "Cannot edit a message authored by another user", code: 50005 }),
  emptyMessage: () => new DiscordApiError(400, { message: "Cannot send an empty message", code: 50006 }),
  alreadyAcknowledged: () =>
    new DiscordApiError(400, { message: "Interaction has already been acknowledged.", code: 40060 }),
  invalidFormBody: (errors: FormErrors) =>
    new DiscordApiError(400, { message: "Invalid Form Body", code: 50035, errors }),
};

/** Collects field errors and throws them as one 50035, the way Discord reports every problem at once. */
class FormErrorCollector {
  private errors: FormErrors = {};
  private count = 0;

  add(path: (string | number)[], leaf: FormErrorLeaf): void {
    this.errors = mergeFormErrors(this.errors, formErrorAt(path, leaf));
    this.count++;
  }

  throwIfAny(): void {
    if (this.count > 0) throw API_ERRORS.invalidFormBody(this.errors);
  }
}

function mergeFormErrors(a: FormErrors, b: FormErrors): FormErrors {
  const out: FormErrors = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    if (Array.isArray(value)) out[key] = [...(Array.isArray(existing) ? existing : []), ...value];
    else out[key] = mergeFormErrors(existing && !Array.isArray(existing) ? existing : {}, value);
  }
  return out;
}

/** Length as Discord counts it: code points (its API is Python). */
export function discordLength(text: string): number {
  return [...text].length;
}

// ─── Messages ────────────────────────────────────────────────────────────────────────────────────

const MAX_CONTENT = 2000;

/**
 * Checks the fields of a message create/edit or an interaction response's `data`. `requireBody`
 * rejects a message with nothing to show (50006), as a create does; an edit checks the result instead.
 */
export function checkMessageFields(
  body: JsonObject,
  options: { requireBody: boolean; prefix?: string[] },
): void {
  const errors = new FormErrorCollector();
  const at = (...path: (string | number)[]) => [...(options.prefix ?? []), ...path];
  if (body.content !== undefined && body.content !== null) {
    if (typeof body.content !== "string") {
      errors.add(at("content"), { code: "BASE_TYPE_STRING", message: "Must be a string." });
    } else if (discordLength(body.content) > MAX_CONTENT) {
      errors.add(at("content"), LENGTH_ERRORS.max(MAX_CONTENT));
    }
  }
  if (body.embeds !== undefined && body.embeds !== null) checkEmbeds(body.embeds, errors, at);
  const flags = typeof body.flags === "number" ? body.flags : 0;
  if (body.components !== undefined && body.components !== null && !(flags & MESSAGE_FLAGS.IsComponentsV2)) {
    checkComponents(body.components, errors, at);
  }
  errors.throwIfAny();
  if (options.requireBody && isEmptyMessage(body)) throw API_ERRORS.emptyMessage();
}

/** A message with no visible part: blank content, no embeds, components, files, stickers or poll. */
export function isEmptyMessage(message: JsonObject): boolean {
  const content = typeof message.content === "string" ? message.content.trim() : "";
  const has = (field: string) => Array.isArray(message[field]) && (message[field] as unknown[]).length > 0;
  return (
    content === "" &&
    !has("embeds") &&
    !has("components") &&
    !has("attachments") &&
    !has("sticker_ids") &&
    message.poll === undefined
  );
}

function checkEmbeds(
  value: unknown,
  errors: FormErrorCollector,
  at: (...p: (string | number)[]) => (string | number)[],
) {
  if (!Array.isArray(value)) {
    errors.add(at("embeds"), { code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  if (value.length > 10) errors.add(at("embeds"), LENGTH_ERRORS.max(10));
  value.forEach((embed: unknown, i) => {
    if (!isObject(embed)) return;
    const limit = (field: string, max: number) => {
      const text = embed[field];
      if (typeof text === "string" && discordLength(text) > max)
        errors.add(at("embeds", i, field), LENGTH_ERRORS.max(max));
    };
    limit("title", 256);
    limit("description", 4096);
    if (Array.isArray(embed.fields) && embed.fields.length > 25)
      errors.add(at("embeds", i, "fields"), LENGTH_ERRORS.max(25));
  });
}

const BUTTON = 2;
const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

function checkComponents(
  value: unknown,
  errors: FormErrorCollector,
  at: (...p: (string | number)[]) => (string | number)[],
): void {
  if (!Array.isArray(value)) {
    errors.add(at("components"), { code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  if (value.length > 5) errors.add(at("components"), LENGTH_ERRORS.max(5));
  const customIds = new Set<string>();
  value.forEach((row: unknown, r) => {
    if (!isObject(row) || row.type !== 1) {
      errors.add(at("components", r, "type"), {
        code: "COMPONENT_TYPE_INVALID",
        message: "The specified component type is invalid in this context",
      });
      return;
    }
    const children = Array.isArray(row.components) ? row.components : [];
    if (children.length < 1 || children.length > 5) {
      errors.add(at("components", r, "components"), LENGTH_ERRORS.between(1, 5));
    }
    let width = 0;
    children.forEach((child: unknown, c) => {
      const path = (...rest: (string | number)[]) => at("components", r, "components", c, ...rest);
      if (!isObject(child)) return;
      width += SELECT_TYPES.has(child.type as number) ? 5 : 1;
      if (width > 5) {
        errors.add(path(), {
          code: "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
          message: "The specified component exceeds the maximum width",
        });
      }
      checkCustomId(child, customIds, errors, path);
      if (child.type === BUTTON) checkButton(child, errors, path);
      if (child.type === 3) checkStringSelect(child, errors, path);
    });
  });
}

function checkCustomId(
  component: JsonObject,
  seen: Set<string>,
  errors: FormErrorCollector,
  path: (...rest: (string | number)[]) => (string | number)[],
): void {
  const isLinkOrPremium = component.type === BUTTON && (component.style === 5 || component.style === 6);
  const id = component.custom_id;
  if (isLinkOrPremium) return;
  if (typeof id !== "string" || id === "") {
    errors.add(path("custom_id"), LENGTH_ERRORS.required());
    return;
  }
  if (discordLength(id) > 100) errors.add(path("custom_id"), LENGTH_ERRORS.max(100));
  if (seen.has(id)) {
    errors.add(path("custom_id"), {
      code: "COMPONENT_CUSTOM_ID_DUPLICATED",
      message: "Component custom id cannot be duplicated",
    });
  }
  seen.add(id);
}

function checkButton(
  button: JsonObject,
  errors: FormErrorCollector,
  path: (...rest: (string | number)[]) => (string | number)[],
): void {
  if (typeof button.style !== "number" || button.style < 1 || button.style > 6) {
    errors.add(path("style"), {
      code: "BASE_TYPE_CHOICES",
      message: "Value must be one of {1, 2, 3, 4, 5, 6}.",
    });
  }
  if (typeof button.label === "string" && discordLength(button.label) > 80)
    errors.add(path("label"), LENGTH_ERRORS.max(80));
  if (button.style === 5 && typeof button.url !== "string") errors.add(path("url"), LENGTH_ERRORS.required());
  if (button.label === undefined && button.emoji === undefined && button.style !== 6) {
    errors.add(path("label"), LENGTH_ERRORS.required());
  }
}

function checkStringSelect(
  select: JsonObject,
  errors: FormErrorCollector,
  path: (...rest: (string | number)[]) => (string | number)[],
): void {
  const options = Array.isArray(select.options) ? select.options : [];
  if (options.length < 1 || options.length > 25) errors.add(path("options"), LENGTH_ERRORS.between(1, 25));
  if (typeof select.placeholder === "string" && discordLength(select.placeholder) > 150) {
    errors.add(path("placeholder"), LENGTH_ERRORS.max(150));
  }
  for (const field of ["min_values", "max_values"] as const) {
    const n = select[field];
    const min = field === "min_values" ? 0 : 1;
    if (n !== undefined && (typeof n !== "number" || n < min || n > 25)) {
      errors.add(path(field), {
        code: "NUMBER_TYPE_MAX",
        message: `int value should be between ${min} and 25.`,
      });
    }
  }
  options.forEach((option: unknown, o) => {
    if (!isObject(option)) return;
    for (const field of ["label", "value"] as const) {
      const text = option[field];
      if (typeof text !== "string" || text === "")
        errors.add(path("options", o, field), LENGTH_ERRORS.required());
      else if (discordLength(text) > 100) errors.add(path("options", o, field), LENGTH_ERRORS.max(100));
    }
    if (typeof option.description === "string" && discordLength(option.description) > 100) {
      errors.add(path("options", o, "description"), LENGTH_ERRORS.max(100));
    }
  });
}

// ─── Interaction responses ───────────────────────────────────────────────────────────────────────

/** Checks an autocomplete result (callback type 8): at most 25 choices, names 1–100, string values ≤ 100. */
export function checkAutocompleteChoices(data: unknown): void {
  const errors = new FormErrorCollector();
  const choices = isObject(data) && Array.isArray(data.choices) ? data.choices : undefined;
  if (!choices) {
    errors.add(["data", "choices"], LENGTH_ERRORS.required());
    errors.throwIfAny();
    return;
  }
  if (choices.length > 25) errors.add(["data", "choices"], LENGTH_ERRORS.max(25));
  choices.forEach((choice: unknown, i) => {
    const name = isObject(choice) ? choice.name : undefined;
    const value = isObject(choice) ? choice.value : undefined;
    if (typeof name !== "string" || discordLength(name) < 1 || discordLength(name) > 100) {
      errors.add(["data", "choices", i, "name"], LENGTH_ERRORS.between(1, 100));
    }
    if (value === undefined) errors.add(["data", "choices", i, "value"], LENGTH_ERRORS.required());
    else if (typeof value === "string" && discordLength(value) > 100) {
      errors.add(["data", "choices", i, "value"], LENGTH_ERRORS.max(100));
    }
  });
  errors.throwIfAny();
}

// ─── Application commands ────────────────────────────────────────────────────────────────────────

const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Checks a bulk-overwrite body (`PUT …/commands`): the checks Discord makes on names, descriptions and options. */
export function checkCommandList(body: unknown): JsonObject[] {
  const errors = new FormErrorCollector();
  if (!Array.isArray(body)) {
    errors.add([], { code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    errors.throwIfAny();
    return [];
  }
  if (body.length > 100) errors.add([], LENGTH_ERRORS.max(100));
  const names = new Set<string>();
  for (const [i, command] of (body as unknown[]).entries()) {
    if (!isObject(command)) {
      errors.add([i], {
        code: "MODEL_TYPE_CONVERT",
        message: "Only dictionaries may be used in a ModelType",
      });
      continue;
    }
    checkCommand(command, errors, [i]);
    const key = `${String(command.type ?? 1)}:${String(command.name)}`;
    if (names.has(key)) {
      errors.add([i, "name"], {
        code: "APPLICATION_COMMANDS_DUPLICATE_NAME",
        message: `Application command names must be unique`,
      });
    }
    names.add(key);
  }
  errors.throwIfAny();
  return body as JsonObject[];
}

/** Checks one command body (`POST`/`PATCH …/commands`). */
export function checkOneCommand(body: unknown): JsonObject {
  const errors = new FormErrorCollector();
  if (!isObject(body)) {
    errors.add([], { code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType" });
    errors.throwIfAny();
    return {};
  }
  checkCommand(body, errors, []);
  errors.throwIfAny();
  return body;
}

function checkCommand(command: JsonObject, errors: FormErrorCollector, path: (string | number)[]): void {
  const chatInput = command.type === undefined || command.type === 1;
  checkName(
    command.name,
    chatInput,
    errors,
    [...path, "name"],
    "APPLICATION_COMMAND_INVALID_NAME",
    "Command name is invalid",
  );
  if (chatInput) checkDescription(command.description, errors, [...path, "description"]);
  if (command.options !== undefined) checkOptions(command.options, errors, [...path, "options"]);
}

function checkName(
  name: unknown,
  lowerCase: boolean,
  errors: FormErrorCollector,
  path: (string | number)[],
  code: string,
  message: string,
): void {
  if (typeof name !== "string" || name === "") {
    errors.add(path, LENGTH_ERRORS.required());
    return;
  }
  if (discordLength(name) > 32) {
    errors.add(path, LENGTH_ERRORS.between(1, 32));
    return;
  }
  if (!COMMAND_NAME.test(name) || (lowerCase && name !== name.toLowerCase()))
    errors.add(path, { code, message });
}

function checkDescription(description: unknown, errors: FormErrorCollector, path: (string | number)[]): void {
  if (typeof description !== "string" || discordLength(description) < 1 || discordLength(description) > 100) {
    errors.add(path, LENGTH_ERRORS.between(1, 100));
  }
}

function checkOptions(options: unknown, errors: FormErrorCollector, path: (string | number)[]): void {
  if (!Array.isArray(options)) {
    errors.add(path, { code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  if (options.length > 25) errors.add(path, LENGTH_ERRORS.max(25));
  const names = new Set<string>();
  let sawOptional = false;
  options.forEach((option: unknown, i) => {
    if (!isObject(option)) return;
    const here = [...path, i];
    checkName(
      option.name,
      true,
      errors,
      [...here, "name"],
      "APPLICATION_COMMAND_INVALID_NAME",
      "Command name is invalid",
    );
    checkDescription(option.description, errors, [...here, "description"]);
    if (typeof option.name === "string") {
      if (names.has(option.name)) {
        errors.add([...here, "name"], {
          code: "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
          message: "Option names must be unique",
        });
      }
      names.add(option.name);
    }
    const isSub = option.type === 1 || option.type === 2;
    if (isSub) {
      if (option.options !== undefined) checkOptions(option.options, errors, [...here, "options"]);
      return;
    }
    if (option.required === true && sawOptional) {
      errors.add([...here, "required"], {
        code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        message: "Required options must be placed before non-required options",
      });
    }
    if (option.required !== true) sawOptional = true;
    if (Array.isArray(option.choices) && option.choices.length > 25) {
      errors.add([...here, "choices"], LENGTH_ERRORS.max(25));
    }
  });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
