import { INVALIDATION_KINDS, type InvalidationMessage } from './cache-invalidation.js'

/** A message on the wire, with the instance that sent it (so it can skip its own echo). */
export interface InvalidationEnvelope {
  readonly origin: string
  readonly message: InvalidationMessage
}

const MAX_ID_LENGTH = 200

/** True for a well-formed message: a known kind, and a short non-empty ID unless `all`. */
export function isInvalidationMessage(value: unknown): value is InvalidationMessage {
  if (typeof value !== 'object' || value === null) return false
  const { kind, id } = value as { kind?: unknown; id?: unknown }
  if (!(INVALIDATION_KINDS as readonly unknown[]).includes(kind)) return false
  if (kind === 'all') return true
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH
}

/** Throw a TypeError for a malformed message: a programming error, caught at the publisher. */
export function assertInvalidationMessage(value: unknown): asserts value is InvalidationMessage {
  if (!isInvalidationMessage(value)) {
    throw new TypeError(`not an invalidation message: ${JSON.stringify(value)}`)
  }
}

/** The compact JSON payload sent over PostgreSQL NOTIFY and Redis PUBLISH. */
export function encodeInvalidation(envelope: InvalidationEnvelope): string {
  const { origin, message } = envelope
  return JSON.stringify(
    message.kind === 'all'
      ? { o: origin, k: message.kind }
      : { o: origin, k: message.kind, i: message.id },
  )
}

/** Parse a payload from the channel; anything malformed is `undefined` (and is not trusted). */
export function decodeInvalidation(payload: string): InvalidationEnvelope | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { o, k, i } = parsed as { o?: unknown; k?: unknown; i?: unknown }
  const message: unknown = k === 'all' ? { kind: k } : { kind: k, id: i }
  if (typeof o !== 'string' || !isInvalidationMessage(message)) return undefined
  return { origin: o, message }
}

/** Collapse duplicates; `all` makes every other message redundant. */
export function dedupeInvalidations(
  messages: readonly InvalidationMessage[],
): InvalidationMessage[] {
  if (messages.some((m) => m.kind === 'all')) return [{ kind: 'all' }]
  const seen = new Map<string, InvalidationMessage>()
  for (const message of messages) {
    if (message.kind !== 'all') seen.set(`${message.kind}\u0000${message.id}`, message)
  }
  return [...seen.values()]
}
