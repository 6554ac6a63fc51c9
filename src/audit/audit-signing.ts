import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { deriveKey } from '../secrets/derive-key.js'
import { canonicalJson } from './canonical-json.js'

// PKCS#8 DER header for a raw 32-byte Ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The key that signs audit checkpoints and export manifests. */
export interface AuditSigner {
  readonly keyId: string
  /** Raw 32-byte public key, base64: what operators pin and `ferry audit verify` trusts. */
  readonly publicKey: string
  sign(payload: unknown): string
}

/** The Ed25519 signer derived from the master key: the same master key, the same signing key. */
export function createAuditSigner(masterKey: Buffer): AuditSigner {
  const seed = deriveKey(masterKey, 'audit-signing')
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const rawPublic = rawPublicKey(createPublicKey(privateKey))
  const publicKey = rawPublic.toString('base64')
  return {
    keyId: keyIdOf(rawPublic),
    publicKey,
    sign: (payload) =>
      sign(null, Buffer.from(canonicalJson(payload)), privateKey).toString('base64'),
  }
}

/** Verify a signature made by `AuditSigner.sign` with a trusted raw public key (base64). */
export function verifyAuditSignature(options: {
  publicKey: string
  payload: unknown
  signature: string
}): boolean {
  try {
    const key = createPublicKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(options.publicKey, 'base64').toString('base64url'),
      },
      format: 'jwk',
    })
    return verify(
      null,
      Buffer.from(canonicalJson(options.payload)),
      key,
      Buffer.from(options.signature, 'base64'),
    )
  } catch {
    return false
  }
}

/** A short, stable identifier of a public key (hex SHA-256 prefix of the raw key). */
export function keyIdOf(rawPublic: Buffer): string {
  return createHash('sha256').update(rawPublic).digest('hex').slice(0, 16)
}

export function keyIdOfBase64(publicKey: string): string {
  return keyIdOf(Buffer.from(publicKey, 'base64'))
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url')
}
