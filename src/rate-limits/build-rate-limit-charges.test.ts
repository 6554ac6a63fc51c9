import { describe, expect, it } from 'vitest'
import {
  buildRateLimitCharges,
  buildRefund,
  buildTokenAdjustments,
} from './build-rate-limit-charges.js'

describe('buildRateLimitCharges', () => {
  it('charges one request and the estimate against every limit that is set', () => {
    const charges = buildRateLimitCharges({
      organizationId: 'org_1',
      keyId: 'AbC',
      key: { requestsPerMinute: 60, tokensPerMinute: null },
      organization: { requestsPerMinute: 600, tokensPerMinute: 100_000 },
      estimatedTokens: 1234.2,
    })
    expect(charges).toEqual([
      {
        rateLimit: {
          key: '{org_1}:key:AbC:requests',
          kind: 'requests',
          scope: 'key',
          limit: 60,
          windowMs: 60_000,
        },
        cost: 1,
      },
      {
        rateLimit: {
          key: '{org_1}:org:requests',
          kind: 'requests',
          scope: 'organization',
          limit: 600,
          windowMs: 60_000,
        },
        cost: 1,
      },
      {
        rateLimit: {
          key: '{org_1}:org:tokens',
          kind: 'tokens',
          scope: 'organization',
          limit: 100_000,
          windowMs: 60_000,
        },
        cost: 1235,
      },
    ])
  })

  it('corrects token charges by the actual usage, and refunds everything', () => {
    const charges = buildRateLimitCharges({
      organizationId: 'org_1',
      keyId: 'k',
      key: { requestsPerMinute: 60, tokensPerMinute: 1_000 },
      organization: { tokensPerMinute: 10_000 },
      estimatedTokens: 500,
    })
    expect(buildTokenAdjustments(charges, { actualTokens: 200 }).map((c) => c.cost)).toEqual([
      -300, -300,
    ])
    expect(buildTokenAdjustments(charges, { actualTokens: 500 })).toEqual([])
    expect(buildRefund(charges).map((c) => c.cost)).toEqual([-1, -500, -500])
  })
})
