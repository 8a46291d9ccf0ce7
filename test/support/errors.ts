import { isTesseraError, type TesseraError } from "../../src/errors.js";

/** Awaits a promise that must reject with a TesseraError and returns that error (fails otherwise). */
export async function tesseraErrorOf(promise: Promise<unknown>): Promise<TesseraError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTesseraError(err)) throw new Error(`expected a TesseraError, got ${String(err)}`);
  return err;
}
