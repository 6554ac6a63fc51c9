import { randomBytes, randomUUID } from 'node:crypto'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

function encodeBase32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += CROCKFORD[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * A prefixed, time-ordered identifier (ULID layout: 48-bit milliseconds + 80 random bits), so IDs
 * sort by creation time and cursor pagination can use them.
 * @example newId('org', nowMs) // 'org_01jd…'
 */
export function newId(prefix: string, nowMs: number): string {
  const bytes = new Uint8Array(16)
  let time = nowMs
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256
    time = Math.floor(time / 256)
  }
  bytes.set(randomBytes(10), 6)
  return `${prefix}_${encodeBase32(bytes)}`
}

const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** A client-sent request ID is accepted only when it is short and plainly printable. */
export function isWellFormedRequestId(value: string): boolean {
  return REQUEST_ID.test(value)
}

/**
 * OpenAI's request IDs look like `req_` + 32 hex digits; ours do too: 12 digits of the time in
 * milliseconds, then 20 of randomness (80 bits, from randomUUID's cached entropy pool, far
 * cheaper per request than randomBytes). Time first, so the request ID indexes of the ledger and
 * usage events grow at their end, like every other ID Ferry mints, instead of each insert
 * dirtying a random page of an index that outgrows SQLite's page cache.
 */
export function newRequestId(nowMs: number = Date.now()): string {
  // xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx: its first 8 and last 12 digits are all random.
  const random = randomUUID()
  return `req_${nowMs.toString(16).padStart(12, '0').slice(-12)}${random.slice(0, 8)}${random.slice(24)}`
}
