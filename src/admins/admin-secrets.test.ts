import { describe, expect, it } from 'vitest'
import { looksLikeSecret, scrubSecrets } from '../lib/redact.js'
import {
  csrfTokenFor,
  hashAdminSecret,
  matchesAdminSecret,
  matchesCsrfToken,
  mintAdminToken,
  parseAdminToken,
} from './admin-secrets.js'

const key = Buffer.alloc(32, 3)

describe('admin secrets', () => {
  it('mints fadm_ tokens with an embedded id that the scrubber recognizes', () => {
    const minted = mintAdminToken(Date.UTC(2026, 0, 1))
    expect(minted.token).toMatch(/^fadm_[0-9a-z]{26}_[0-9a-f]{64}$/)
    expect(parseAdminToken(minted.token)).toEqual({ tokenId: minted.tokenId })
    expect(parseAdminToken(`${minted.token}x`)).toBeUndefined()
    expect(looksLikeSecret(`token ${minted.token}`)).toBe(true)
    expect(scrubSecrets(minted.token)).not.toContain(minted.token.slice(-64))
    expect(minted.label).not.toContain(minted.token.slice(-64, -4))
  })

  it('compares keyed hashes and CSRF tokens in constant time', () => {
    const stored = hashAdminSecret(key, 'secret-a')
    expect(matchesAdminSecret(key, { presented: 'secret-a', storedHash: stored })).toBe(true)
    expect(matchesAdminSecret(key, { presented: 'secret-b', storedHash: stored })).toBe(false)
    expect(
      matchesAdminSecret(Buffer.alloc(32, 4), { presented: 'secret-a', storedHash: stored }),
    ).toBe(false)
    const csrf = csrfTokenFor(key, 'session')
    expect(matchesCsrfToken(key, { sessionToken: 'session', presented: csrf })).toBe(true)
    expect(matchesCsrfToken(key, { sessionToken: 'other', presented: csrf })).toBe(false)
    expect(matchesCsrfToken(key, { sessionToken: 'session', presented: '' })).toBe(false)
  })
})
