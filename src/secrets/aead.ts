import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Encrypt a small secret with AES-256-GCM under a derived key. `context` is bound as associated
 * data (for example the row's id), so a ciphertext copied to another row does not decrypt.
 * Output: `v1.<iv b64url>.<tag b64url>.<ciphertext b64url>`.
 * @example sealSecret(deriveKey(masterKey, 'totp-secret'), { plaintext, context: adminId })
 */
export function sealSecret(key: Buffer, input: { plaintext: string; context: string }): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(input.context, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/** Decrypt what `sealSecret` produced with the same key and context; throws when tampered. */
export function openSecret(key: Buffer, input: { sealed: string; context: string }): string {
  const [version, iv, tag, ciphertext] = input.sealed.split('.')
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new Error('unrecognized sealed secret format')
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
    authTagLength: TAG_BYTES,
  })
  decipher.setAAD(Buffer.from(input.context, 'utf8'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, 'base64url')),
    decipher.final(),
  ]).toString('utf8')
}
