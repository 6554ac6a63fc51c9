import { openSecret, sealSecret } from '../secrets/aead.js'
import { deriveKey } from '../secrets/derive-key.js'

/**
 * Encrypts provider credentials at rest: AES-256-GCM under `deriveKey(master, 'provider-credentials')`
 * with the account's ID as associated data, so a ciphertext copied onto another account's row
 * does not decrypt.
 */
export interface CredentialCipher {
  seal(input: { credential: string; providerAccountId: string }): string
  /** Throws when the key is wrong or the ciphertext was tampered with or moved. */
  open(input: { sealed: string; providerAccountId: string }): string
}

export function createCredentialCipher(masterKey: Buffer): CredentialCipher {
  const key = deriveKey(masterKey, 'provider-credentials')
  return {
    seal: ({ credential, providerAccountId }) =>
      sealSecret(key, { plaintext: credential, context: providerAccountId }),
    open: ({ sealed, providerAccountId }) =>
      openSecret(key, { sealed, context: providerAccountId }),
  }
}

// A vendor prefix such as `sk-`, `sk-proj-`, `sk-ant-`, `gsk_`: one or two short letter runs.
const VENDOR_PREFIX = /^[a-z]{2,5}[-_](?:[a-z]{2,5}[-_])?/
// Below these lengths the prefix or the last four would give away too much of the secret.
const MIN_LENGTH_FOR_LAST4 = 16
const MIN_HIDDEN_AFTER_PREFIX = 16

/**
 * What a credential may be shown as: its vendor prefix and last four characters, `sk-…AbCd`.
 * Short credentials show less (`…` alone), so a label never carries a useful part of a secret.
 * @example credentialLabel('sk-proj-abcdefghijklmnopqrstuvwxyzAbCd') // 'sk-proj-…AbCd'
 */
export function credentialLabel(credential: string): string {
  const prefix = VENDOR_PREFIX.exec(credential)?.[0] ?? ''
  const shownPrefix = credential.length - prefix.length >= MIN_HIDDEN_AFTER_PREFIX ? prefix : ''
  const last4 = credential.length >= MIN_LENGTH_FOR_LAST4 ? credential.slice(-4) : ''
  return `${shownPrefix}…${last4}`
}
