import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'

/**
 * The customer API key secret: `fk_<environment>_<keyId><secret><checksum>`, for example
 * `fk_live_` + 16 characters of key ID + 33 of secret + 6 of checksum, all base62.
 *
 * - The key ID is public: the database finds the key by it (an indexed lookup, never a scan of
 *   hashes) and logs may show it.
 * - The secret part carries 33 × log2(62) ≈ 196 bits of randomness.
 * - The checksum is CRC32 of everything before it, in base62 (GitHub's token scheme). Any single
 *   mistyped, dropped or swapped character fails `parseKeySecret` offline, so a typo never
 *   reaches the database, and secret scanners can tell a real Ferry key from lookalike text.
 *
 * Only a keyed hash (HMAC-SHA256 under `deriveKey(masterKey, 'api-key-hash')`) and the display
 * label are ever stored.
 */
export const KEY_ENVIRONMENTS = ['live', 'test'] as const
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number]

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Base62 characters of the key ID (about 95 bits: unique without coordination). */
export const KEY_ID_LENGTH = 16
const SECRET_LENGTH = 33
const CHECKSUM_LENGTH = 6
const BODY_LENGTH = KEY_ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH

/**
 * Matches a Ferry key in text, for secret scanners and log redaction; a match still needs
 * `parseKeySecret` to confirm its checksum. Not global: scan with
 * `text.matchAll(new RegExp(KEY_SECRET_PATTERN, 'g'))`.
 */
export const KEY_SECRET_PATTERN = new RegExp(`\\bfk_(?:live|test)_[0-9A-Za-z]{${BODY_LENGTH}}\\b`)

const KEY_SECRET_SHAPE = new RegExp(`^fk_(live|test)_([0-9A-Za-z]{${BODY_LENGTH}})$`)
const KEY_ID_SHAPE = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`)

/** Where randomness comes from; tests inject a deterministic one. */
export type RandomBytes = (size: number) => Buffer

export interface GenerateKeySecretOptions {
  environment: KeyEnvironment
  /** The HMAC key: `deriveKey(masterKey, 'api-key-hash')`, derived once at start-up. */
  hashKey: Buffer
  /**
   * Keep this key ID (rotation: the new secret finds the same key row, whose previous hash
   * stays valid for the grace period). Unset: a new random key ID.
   */
  keyId?: string
  /** @default crypto.randomBytes */
  randomBytes?: RandomBytes
}

/** A freshly generated key: show `secret` once, store everything else. */
export interface GeneratedKeySecret {
  /** The full secret. Shown to the customer once; never stored, logged or audited. */
  readonly secret: string
  readonly environment: KeyEnvironment
  /** Public lookup ID embedded in the secret. */
  readonly keyId: string
  /** `fk_live_…Ab3x`: safe to store, show and audit. */
  readonly label: string
  /** HMAC-SHA256 of the secret under the hash key (32 bytes). */
  readonly hash: Buffer
}

/** What a well-formed secret reveals without any lookup. */
export interface ParsedKeySecret {
  readonly environment: KeyEnvironment
  readonly keyId: string
}

/**
 * Generate a new key secret with its key ID, label and keyed hash.
 * @example
 * const key = generateKeySecret({ environment: 'live', hashKey })
 * // key.secret: 'fk_live_…' (show once) · store key.keyId, key.label, key.hash
 */
export function generateKeySecret(options: GenerateKeySecretOptions): GeneratedKeySecret {
  const random = options.randomBytes ?? cryptoRandomBytes
  if (options.keyId !== undefined && !KEY_ID_SHAPE.test(options.keyId)) {
    throw new TypeError(`a key ID is ${KEY_ID_LENGTH} base62 characters`)
  }
  const keyId = options.keyId ?? randomBase62(KEY_ID_LENGTH, random)
  const unchecked = `fk_${options.environment}_${keyId}${randomBase62(SECRET_LENGTH, random)}`
  const secret = unchecked + checksumOf(unchecked)
  return {
    secret,
    environment: options.environment,
    keyId,
    label: labelKeySecret(secret),
    hash: hashKeySecret(secret, options.hashKey),
  }
}

/** A new random key ID, for callers that allocate the ID before the secret. */
export function generateKeyId(randomBytes: RandomBytes = cryptoRandomBytes): string {
  return randomBase62(KEY_ID_LENGTH, randomBytes)
}

/**
 * Check a presented secret's shape and checksum offline and extract its environment and key
 * ID. Anything malformed (wrong prefix, length, alphabet or checksum) is `undefined`, so the
 * caller answers 401 without touching the cache or the database.
 */
export function parseKeySecret(presented: string): ParsedKeySecret | undefined {
  const match = KEY_SECRET_SHAPE.exec(presented)
  if (match === null) return undefined
  const checked = presented.length - CHECKSUM_LENGTH
  if (presented.slice(checked) !== checksumOf(presented.slice(0, checked))) return undefined
  return {
    environment: match[1] as KeyEnvironment,
    keyId: match[2]!.slice(0, KEY_ID_LENGTH),
  }
}

/** HMAC-SHA256 of a secret under the hash key: what the database and cache hold. */
export function hashKeySecret(secret: string, hashKey: Buffer): Buffer {
  return createHmac('sha256', hashKey).update(secret).digest()
}

/** Compare two hashes in constant time (never `===`: that leaks how many bytes matched). */
export function isSameKeyHash(presentedHash: Buffer, storedHash: Buffer): boolean {
  // A length mismatch means a corrupt stored hash, not a secret-dependent difference.
  return presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash)
}

/** True when `presented` hashes to `storedHash`. Constant time in the hash comparison. */
export function verifyKeySecret(presented: string, storedHash: Buffer, hashKey: Buffer): boolean {
  return isSameKeyHash(hashKeySecret(presented, hashKey), storedHash)
}

/** The hashes a key accepts: the current one, and during a rotation's grace period the old one. */
export interface KeyHashes {
  readonly hash: Buffer
  readonly previousHash?: Buffer | null | undefined
  /** Until when (epoch ms, exclusive) the previous hash is accepted. */
  readonly previousHashExpiresAtMs?: number | null | undefined
}

/**
 * Which of a key's hashes the presented hash matches: `'current'`, `'previous'` (a rotated-out
 * secret still inside its grace period), or `undefined`. Both comparisons are constant time.
 */
export function matchKeyHash(
  presentedHash: Buffer,
  key: KeyHashes,
  nowMs: number,
): 'current' | 'previous' | undefined {
  if (isSameKeyHash(presentedHash, key.hash)) return 'current'
  const previous = key.previousHash
  const until = key.previousHashExpiresAtMs
  if (previous && typeof until === 'number' && nowMs < until) {
    if (isSameKeyHash(presentedHash, previous)) return 'previous'
  }
  return undefined
}

/**
 * The display label: prefix and last four characters (`fk_live_…Ab3x`), never more. Safe to
 * store, show, log and put in audit events.
 */
export function labelKeySecret(secret: string): string {
  const prefix = /^fk_(?:live|test)_/.exec(secret)?.[0] ?? ''
  return `${prefix}…${secret.slice(-4)}`
}

function checksumOf(text: string): string {
  return toBase62(crc32(text), CHECKSUM_LENGTH)
}

function toBase62(value: number, width: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62]! + out
    rest = Math.floor(rest / 62)
  }
  return out
}

// 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
const UNBIASED_LIMIT = 248

function randomBase62(length: number, random: RandomBytes): string {
  let out = ''
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue
      out += BASE62[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}
