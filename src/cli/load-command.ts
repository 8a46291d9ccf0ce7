/**
 * Loads a one-shot command's implementation (`models …`, `doctor`, `onboard`, `import`, `audit`).
 * Such a process parses each schema about once, and zod's JIT (a parser compiled with `new Function`
 * per object schema) only pays off after many parses, so it is switched off first — before any schema
 * is built, as zod reads the flag then. Long-running surfaces (`chat`, the gateway) keep it.
 */
export async function loadOneShotCommand<M>(importer: () => Promise<M>): Promise<M> {
  const { config } = await import("zod");
  config({ jitless: true });
  return importer();
}
