/**
 * The exact JSON text an upstream sent for a parsed stream chunk, kept beside the parsed value so
 * a chunk that needs no rewriting is relayed byte for byte instead of being serialized again
 * (on a 20-chunk stream that re-serialization was the largest cost of the relay). Only set by a
 * parser that did not change the value it parsed; anything that changes a chunk afterwards must
 * not use it.
 */
const RAW_JSON = Symbol('ferry.rawJson')

type WithRawJson = { [RAW_JSON]?: string }

/** Remember `text` as the JSON `value` was parsed from, when it fits on one SSE data line. */
export function keepRawJson(value: object, text: string): void {
  if (text.includes('\n') || text.includes('\r')) return
  ;(value as WithRawJson)[RAW_JSON] = text
}

/** The JSON text `value` was parsed from, unchanged, or undefined. */
export function rawJsonOf(value: object): string | undefined {
  return (value as WithRawJson)[RAW_JSON]
}

/**
 * The exact text of upstream JSON answers (non-streamed), by the value parsed from it: an answer
 * that needs no rewriting is sent to the client as the upstream wrote it instead of being
 * serialized again. Keyed by identity, so a copy (a spread, a translation) never carries it; the
 * one in-place change the gateway makes, naming the served model, is checked before it is used.
 */
const rawBodies = new WeakMap<object, string>()

/** Remember `text` as the JSON text `value` was parsed from. */
export function keepRawBody(value: object, text: string): void {
  rawBodies.set(value, text)
}

/** The text `value` was parsed from, or undefined. */
export function rawBodyOf(value: object): string | undefined {
  return rawBodies.get(value)
}
