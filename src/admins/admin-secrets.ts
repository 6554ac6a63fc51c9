import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { newId } from '../lib/ids.js'

/** Admin API tokens: `fadm_<token id>_<64 hex>`; 256 random bits after the embedded id. */
export const ADMIN_TOKEN_PREFIX = 'fadm_'
const TOKEN_SECRET_BYTES = 32
const TOKEN_PATTERN = /^fadm_([0-9a-z]{26})_([0-9a-f]{64})$/
const SESSION_TOKEN_BYTES = 32

/** A freshly minted admin token: the id to store and the full secret to show once. */
export interface MintedAdminToken {
  tokenId: string
  token: string
  /** Safe to show and store: prefix, id start and the secret's last four characters. */
  label: string
}

/** Mint a new admin API token. The id is embedded so verification is a primary-key lookup. */
export function mintAdminToken(nowMs: number): MintedAdminToken {
  const tokenId = newId('atk', nowMs)
  const idPart = tokenId.slice('atk_'.length)
  const secret = randomBytes(TOKEN_SECRET_BYTES).toString('hex')
  return {
    tokenId,
    token: `${ADMIN_TOKEN_PREFIX}${idPart}_${secret}`,
    label: `${ADMIN_TOKEN_PREFIX}${idPart.slice(0, 8)}…${secret.slice(-4)}`,
  }
}

/** The token id embedded in a presented token, or undefined when it is not token-shaped. */
export function parseAdminToken(token: string): { tokenId: string } | undefined {
  const match = TOKEN_PATTERN.exec(token)
  return match ? { tokenId: `atk_${match[1]!}` } : undefined
}

/** Keyed hash of a secret (admin token or session token): what the database keeps. */
export function hashAdminSecret(key: Buffer, secret: string): string {
  return createHmac('sha256', key).update(secret).digest('hex')
}

/** Compare a presented secret with a stored keyed hash in constant time. */
export function matchesAdminSecret(
  key: Buffer,
  options: { presented: string; storedHash: string },
): boolean {
  const presented = Buffer.from(hashAdminSecret(key, options.presented), 'hex')
  const stored = Buffer.from(options.storedHash, 'hex')
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}

/** A new session token for the cookie: 256 random bits, URL-safe. */
export function mintSessionToken(): string {
  return randomBytes(SESSION_TOKEN_BYTES).toString('base64url')
}

/**
 * The CSRF token of a session: derived from the session token, so it needs no storage and is
 * worthless without the HttpOnly cookie it belongs to.
 */
export function csrfTokenFor(key: Buffer, sessionToken: string): string {
  return createHmac('sha256', key).update(`csrf\0${sessionToken}`).digest('base64url')
}

/** Constant-time check of a presented CSRF token against the session's. */
export function matchesCsrfToken(
  key: Buffer,
  options: { sessionToken: string; presented: string },
): boolean {
  const expected = Buffer.from(csrfTokenFor(key, options.sessionToken))
  const presented = Buffer.from(options.presented)
  return expected.length === presented.length && timingSafeEqual(expected, presented)
}
