/**
 * The value stored under `key` in a record, or undefined. Own properties only: the keys come from
 * people (`/model @constructor`, `--provider __proto__`, a profile id in an imported file), and a
 * plain `record[key]` or `key in record` finds `Object.prototype`'s members for such keys — a
 * function where a credential or an order list was expected. Use it wherever a typed or read-in key
 * indexes a config record, an alias map, a store's profiles or order, or a session map.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
