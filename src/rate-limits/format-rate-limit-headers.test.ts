import { describe, expect, it } from 'vitest'
import { formatRateLimitHeaders } from './format-rate-limit-headers.js'
import type { RateLimit, RateLimitDecision } from './rate-limiter.js'

const limit = (kind: RateLimit['kind'], scope: RateLimit['scope'], value: number): RateLimit => ({
  key: `${scope}:${kind}`,
  kind,
  scope,
  limit: value,
  windowMs: 60_000,
})

describe('formatRateLimitHeaders', () => {
  it("describes the tighter of key and organization limits, in OpenAI's format", () => {
    const decision: RateLimitDecision = {
      allowed: true,
      states: [
        { rateLimit: limit('requests', 'key', 60), remaining: 59, resetMs: 1_000 },
        { rateLimit: limit('tokens', 'key', 150_000), remaining: 149_984, resetMs: 6 },
        { rateLimit: limit('requests', 'organization', 500), remaining: 10, resetMs: 58_800 },
        { rateLimit: limit('tokens', 'organization', 1_000_000), remaining: 999_000, resetMs: 60 },
      ],
    }
    expect(formatRateLimitHeaders(decision)).toEqual({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '58.8s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6ms',
    })
  })

  it('adds retry-after in whole seconds (at least 1) on a refusal', () => {
    const rateLimit = limit('requests', 'key', 60)
    const headers = formatRateLimitHeaders({
      allowed: false,
      states: [{ rateLimit, remaining: 0, resetMs: 60_000 }],
      refusal: { index: 0, charge: { rateLimit, cost: 1 }, retryAfterMs: 120 },
    })
    expect(headers).toMatchObject({
      'retry-after': '1',
      'retry-after-ms': '120',
      'x-ratelimit-reset-requests': '1m0s',
    })
    expect(headers).not.toHaveProperty('x-ratelimit-limit-tokens')
  })

  it('tells SDKs not to retry a request that can never fit', () => {
    const rateLimit = limit('tokens', 'key', 1_000)
    const headers = formatRateLimitHeaders({
      allowed: false,
      states: [{ rateLimit, remaining: 1_000, resetMs: 0 }],
      refusal: { index: 0, charge: { rateLimit, cost: 5_000 }, retryAfterMs: undefined },
    })
    expect(headers['x-should-retry']).toBe('false')
    expect(headers).not.toHaveProperty('retry-after')
  })

  it('sends nothing when no limit applies', () => {
    expect(formatRateLimitHeaders({ allowed: true, states: [] })).toEqual({})
  })
})
