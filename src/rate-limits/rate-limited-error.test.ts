import { describe, expect, it } from 'vitest'
import { FerryError } from '../lib/errors.js'
import { createManualClock } from '../lib/clock.js'
import { buildRateLimitCharges } from './build-rate-limit-charges.js'
import { createMemoryRateLimiter } from './memory-rate-limiter.js'
import { RateLimitedError } from './rate-limited-error.js'

describe('RateLimitedError', () => {
  const refuse = (estimatedTokens: number, tokensPerMinute = 30_000) => {
    const limiter = createMemoryRateLimiter({ clock: createManualClock() })
    const charges = buildRateLimitCharges({
      organizationId: 'org_1',
      keyId: 'k',
      key: { requestsPerMinute: 100 },
      organization: { tokensPerMinute },
      estimatedTokens,
    })
    limiter.consumeNow(charges)
    const decision = limiter.consumeNow(charges)
    if (decision.allowed) throw new Error('expected a refusal')
    return new RateLimitedError(decision)
  }

  it("is OpenAI's 429: type names the limit, code rate_limit_exceeded, with retry headers", () => {
    const error = refuse(20_000)
    expect(error).toBeInstanceOf(FerryError)
    expect(error).toMatchObject({ status: 429, type: 'tokens', code: 'rate_limit_exceeded' })
    expect(error.param).toBeNull()
    expect(error.message).toBe(
      'Rate limit reached for your organization on tokens per min (TPM): Limit 30000, ' +
        'Used 20000, Requested 20000. Please try again in 20s.',
    )
    expect(error.headers).toMatchObject({
      'retry-after': '20',
      'x-ratelimit-limit-tokens': '30000',
    })
  })

  it('says a request larger than the limit can never pass', () => {
    const error = refuse(31_538)
    expect(error.message).toMatch(/^Request too large for your organization on tokens per min/)
    expect(error.headers['x-should-retry']).toBe('false')
  })
})
