/** JSON text of database rows for "does this secret appear anywhere" assertions (bigint-safe). */
export function jsonOf(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}
