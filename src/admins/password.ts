import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { WeakPasswordError } from './admin-errors.js'

/** Shortest password accepted: long passphrases beat composition rules (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 256

interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number
  r: number
  p: number
}

/** Today's cost: about 32 MiB and tens of milliseconds per hash. Stored with each hash. */
const CURRENT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }
const KEY_BYTES = 32
const SALT_BYTES = 16

function deriveScrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node refuses N·r·128 above 32 MiB by default; allow twice what the parameters need.
    maxmem: 256 * params.N * params.r,
  }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

/** Refuse a password outside the policy, before anything is stored. */
export function assertPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new WeakPasswordError(MIN_PASSWORD_LENGTH)
  }
}

/**
 * Salted scrypt, encoded with its parameters so they can be raised later without breaking
 * stored hashes: `scrypt$N$r$p$<salt b64>$<key b64>`.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await deriveScrypt(password, salt, CURRENT)
  return [
    'scrypt',
    CURRENT.N,
    CURRENT.r,
    CURRENT.p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$')
}

/** Constant-time check of a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, saltText, keyText] = parts as [string, string, string, string, string, string]
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  if (![params.N, params.r, params.p].every((v) => Number.isSafeInteger(v) && v > 0)) return false
  const expected = Buffer.from(keyText, 'base64')
  const actual = await deriveScrypt(password, Buffer.from(saltText, 'base64'), params)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

let dummyHash: Promise<string> | undefined

/**
 * Spend the same time as a real check when the email matches no admin, so response time does
 * not tell whether an account exists.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('ferry-timing-equalizer')
  await verifyPassword(password, await dummyHash)
}
