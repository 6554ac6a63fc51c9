import { randomFillSync } from 'node:crypto'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'
const POOL_BYTES = 4096
const pool = Buffer.alloc(POOL_BYTES)
let offset = POOL_BYTES
// The last ID's time and random bits: IDs of one thread only ever increase (see below).
let lastMs = -1
const lastTail = new Uint8Array(10)

/**
 * A prefixed, time-ordered ID with `newId`'s layout (48-bit milliseconds + 80 random bits,
 * Crockford base 32), for the ledger's hot path: the random bits come from a pooled buffer
 * refilled every 409 IDs, instead of one `randomBytes` call per ID (a settlement makes two).
 * Monotonic within a thread, as ULID's monotonic mode: in the same millisecond (or after the
 * clock stepped back) the next ID is the last one's random bits plus one, so the entries of one
 * settlement batch sort by ID in the order they were posted, versions included.
 * @example newLedgerId('le', nowMs) // 'le_01jd…'
 */
export function newLedgerId(prefix: string, nowMs: number): string {
  if (nowMs > lastMs) {
    if (offset + 10 > POOL_BYTES) {
      randomFillSync(pool)
      offset = 0
    }
    lastMs = nowMs
    lastTail.set(pool.subarray(offset, offset + 10))
    offset += 10
  } else if (!increment(lastTail)) {
    // 2^80 IDs in one millisecond: move on to the next one.
    lastMs += 1
  }
  const bytes = new Uint8Array(16)
  let time = lastMs
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256
    time = Math.floor(time / 256)
  }
  bytes.set(lastTail, 6)
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += CROCKFORD[(buffer << (5 - bits)) & 31]
  return `${prefix}_${out}`
}

/** Adds one to a big-endian number in place; false when it wrapped around to zero. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] !== 255) {
      bytes[i]! += 1
      return true
    }
    bytes[i] = 0
  }
  return false
}
