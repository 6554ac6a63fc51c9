import { describe, expect, it } from 'vitest'
import { currentTotpCode, generateTotpSecret, totpUri, verifyTotpCode } from './totp.js'

describe('totp', () => {
  it('accepts the current code and its neighbours, returning the time step', () => {
    const secret = generateTotpSecret()
    const now = Date.UTC(2026, 0, 1, 12)
    const step = Math.floor(now / 30_000)
    expect(
      verifyTotpCode({ secret, code: currentTotpCode({ secret, nowMs: now }), nowMs: now }),
    ).toBe(step)
    expect(
      verifyTotpCode({
        secret,
        code: currentTotpCode({ secret, nowMs: now - 30_000 }),
        nowMs: now,
      }),
    ).toBe(step - 1)
    expect(
      verifyTotpCode({
        secret,
        code: currentTotpCode({ secret, nowMs: now - 90_000 }),
        nowMs: now,
      }),
    ).toBeNull()
    expect(verifyTotpCode({ secret, code: 'abcdef', nowMs: now })).toBeNull()
  })

  it('builds an otpauth URI for authenticator apps', () => {
    expect(totpUri({ secret: generateTotpSecret(), accountName: 'a@example.com' })).toMatch(
      /^otpauth:\/\/totp\/Ferry:a%40example\.com\?issuer=Ferry&secret=[A-Z2-7]+/,
    )
  })
})
