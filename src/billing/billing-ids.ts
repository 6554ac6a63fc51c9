import { randomFillSync } from 'node:crypto'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'
const POOL_BYTES = 4096
const pool = Buffer.alloc(POOL_BYTES)
let offset = POOL_BYTES

/**
 * A prefixed, time-ordered ID with `newId`'s layout (48-bit milliseconds + 80 random bits,
 * Crockford base 32), for the ledger's hot path: the random bits come from a pooled buffer
 * refilled every 409 IDs, instead of one `randomBytes` call per ID (a settlement makes two).
 * @example newLedgerId('le', nowMs) // 'le_01jd…'
 */
export function newLedgerId(prefix: string, nowMs: number): string {
  if (offset + 10 > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = new Uint8Array(16)
  let time = nowMs
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256
    time = Math.floor(time / 256)
  }
  bytes.set(pool.subarray(offset, offset + 10), 6)
  offset += 10
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
