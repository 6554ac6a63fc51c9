import { describe, expect, it } from 'vitest'
import { InsufficientQuotaError } from './billing-errors.js'

describe('InsufficientQuotaError', () => {
  it("is OpenAI's 429 insufficient_quota, and tells SDKs not to retry", () => {
    const err = new InsufficientQuotaError()
    expect(err).toMatchObject({
      status: 429,
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    })
    expect(err.param).toBeNull()
    expect(err.headers['x-should-retry']).toBe('false')
    expect(err.message).toMatch(/^You exceeded your current quota/)
  })
})
