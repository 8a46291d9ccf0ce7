/**
 * Wait this long before the first "typing…": a command or a refusal answers sooner and never shows
 * one, a model answer (seconds) always does.
 */
const FIRST_AFTER_MS = 700;

/**
 * Keeps a platform's typing indicator up while an answer is being made: `send` (one platform call)
 * after a short delay, then every `everyMs` (the indicator fades after ~5 s on Telegram, ~10 s on
 * Discord) until `stop`. A failed `send` only costs the indicator.
 */
export function typingIndicator(send: () => Promise<unknown>, everyMs: number): { stop(): void } {
  const tick = () => void send().catch(() => {});
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tick();
    repeat = setInterval(tick, everyMs);
    repeat.unref();
  }, FIRST_AFTER_MS);
  first.unref();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(repeat);
    },
  };
}
