import { describe, expect, it } from 'vitest'
import { createCredentialCipher, credentialLabel } from './credential-cipher.js'

describe('credential cipher', () => {
  const cipher = createCredentialCipher(Buffer.alloc(32, 1))
  const credential = 'sk-proj-CANARYabcdefghijklmnopqrstuvwxyz0123AbCd'

  it('round-trips under the same master key and account ID, and hides the plaintext', () => {
    const sealed = cipher.seal({ credential, providerAccountId: 'prv_a' })
    expect(sealed).toMatch(/^v1\./)
    expect(sealed).not.toContain('CANARY')
    expect(cipher.open({ sealed, providerAccountId: 'prv_a' })).toBe(credential)
  })

  it('refuses another master key, and a ciphertext moved to another account', () => {
    const sealed = cipher.seal({ credential, providerAccountId: 'prv_a' })
    const other = createCredentialCipher(Buffer.alloc(32, 2))
    expect(() => other.open({ sealed, providerAccountId: 'prv_a' })).toThrow()
    expect(() => cipher.open({ sealed, providerAccountId: 'prv_b' })).toThrow()
  })

  it('derives its own key: a key for another purpose does not decrypt', async () => {
    const { sealSecret } = await import('../secrets/aead.js')
    const sealed = sealSecret(Buffer.alloc(32, 1), { plaintext: credential, context: 'prv_a' })
    expect(() => cipher.open({ sealed, providerAccountId: 'prv_a' })).toThrow()
  })
})

describe('credentialLabel', () => {
  it('shows the vendor prefix and the last four only', () => {
    expect(credentialLabel('sk-abcdefghijklmnopqrstuvwxyzAbCd')).toBe('sk-…AbCd')
    expect(credentialLabel('sk-proj-abcdefghijklmnopqrstuvwxyzAbCd')).toBe('sk-proj-…AbCd')
    expect(credentialLabel('sk-ant-api03-abcdefghijklmnopqrstuvwxyzAbCd')).toBe('sk-ant-…AbCd')
    expect(credentialLabel('0123456789abcdef0123456789abcdef')).toBe('…cdef')
  })

  it('shows less of a short credential', () => {
    expect(credentialLabel('sk-short1234')).toBe('…')
    expect(credentialLabel('abc')).toBe('…')
    expect(credentialLabel('sk-abcdefghijklmno')).toBe('…lmno')
  })

  it('never shows more than a prefix of at most 12 characters plus four', () => {
    for (const credential of [
      'abcde-fghij-klmnopqrstuvwxyz012345',
      'sk-proj-abcdefghijklmnopqrstuvwxyz',
      'x'.repeat(200),
    ]) {
      const label = credentialLabel(credential)
      const [prefix, last] = label.split('…')
      expect(prefix!.length).toBeLessThanOrEqual(12)
      expect(last!.length).toBeLessThanOrEqual(4)
    }
  })
})
