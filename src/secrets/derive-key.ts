import { hkdfSync, createHmac } from 'node:crypto'

/** Every purpose a key is derived for; one master key never signs or encrypts two kinds of data. */
export const KEY_PURPOSES = [
  'fingerprint',
  'api-key-hash',
  'admin-token-hash',
  'provider-credentials',
  'audit-signing',
  'webhook-signing',
  'outbox-webhook-signing',
  'session-hash',
  'totp-secret',
] as const
export type KeyPurpose = (typeof KEY_PURPOSES)[number]

/** HKDF-SHA256 subkey of the master key for one purpose. */
export function deriveKey(masterKey: Buffer, purpose: KeyPurpose, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `ferry:${purpose}`, length))
}

/**
 * A short public fingerprint of the master key. Stored in the database on first start so a
 * process started later with a different key stops with a clear error instead of failing to
 * decrypt credentials or verify keys one request at a time.
 */
export function masterKeyFingerprint(masterKey: Buffer): string {
  return createHmac('sha256', deriveKey(masterKey, 'fingerprint'))
    .update('ferry')
    .digest('hex')
    .slice(0, 16)
}
