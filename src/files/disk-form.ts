import type { z } from "zod";

// biome-ignore lint/suspicious/noExplicitAny: one function per schema, each typed by `storeAs`
const diskForms = new WeakMap<z.ZodType, (data: any) => unknown>();

/**
 * Declares how data parsed by `schema` is written back, for a state file whose parsed form is not
 * its stored form: the credential store parses entries it cannot use into a list of their own and
 * must write them back where they were (see `AuthProfilesFileSchema`). Without a declaration, data is
 * written as parsed. Kept beside the schema, so whoever opens the file gets it.
 */
export function storeAs<T>(schema: z.ZodType<T>, toDisk: (data: T) => unknown): void {
  diskForms.set(schema, toDisk);
}

/** `data` in the form `schema`'s file stores it (see `storeAs`). */
export function diskFormOf<T>(schema: z.ZodType<T>, data: T): unknown {
  const toDisk = diskForms.get(schema);
  return toDisk ? toDisk(data) : data;
}
