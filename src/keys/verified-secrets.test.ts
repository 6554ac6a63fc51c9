import { describe, expect, it } from 'vitest'
import { createVerifiedSecrets } from './verified-secrets.js'

describe('createVerifiedSecrets', () => {
  it('answers only for the secret and the very key object it was verified against', () => {
    const verified = createVerifiedSecrets<{ keyId: string }>()
    const key = { keyId: 'k1' }
    expect(verified.matchedBefore('fk_live_secret', key)).toBeUndefined()
    verified.remember('fk_live_secret', key, 'current')
    expect(verified.matchedBefore('fk_live_secret', key)).toBe('current')
    expect(verified.matchedBefore('fk_live_secreT', key)).toBeUndefined()
    // The key was reloaded (invalidated, rotated, revoked): verify again.
    const reloaded = { keyId: 'k1' }
    expect(verified.matchedBefore('fk_live_secret', reloaded)).toBeUndefined()
    expect(verified.matchedBefore('fk_live_secret', key)).toBeUndefined()
  })

  it('keeps at most the given number of secrets, dropping the least recently used', () => {
    const verified = createVerifiedSecrets<{ keyId: string }>(2)
    const key = { keyId: 'k1' }
    verified.remember('a', key, 'current')
    verified.remember('b', key, 'previous')
    expect(verified.matchedBefore('a', key)).toBe('current')
    verified.remember('c', key, 'current')
    expect(verified.size).toBe(2)
    expect(verified.matchedBefore('b', key)).toBeUndefined()
    expect(verified.matchedBefore('a', key)).toBe('current')
    expect(verified.matchedBefore('c', key)).toBe('current')
  })
})
