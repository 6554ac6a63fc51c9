import { describe, expect, it } from 'vitest'
import { EMPTY_BUDGET_POLICY } from './budget-policies.service.js'
import type { BudgetPolicyContent } from './budget-policy.js'
import { enforcedMonthlyLimits, hasMonthlyLimits, monthlyRefusalReason } from './monthly-limits.js'

const policy = (content: Partial<BudgetPolicyContent>): BudgetPolicyContent => ({
  ...EMPTY_BUDGET_POLICY,
  ...content,
})

describe('enforcedMonthlyLimits', () => {
  it('enforces nothing for a policy without monthly limits', () => {
    expect(hasMonthlyLimits(EMPTY_BUDGET_POLICY)).toBe(false)
    expect(enforcedMonthlyLimits(EMPTY_BUDGET_POLICY)).toBeNull()
  })

  it('always enforces the hard cap, whatever the overage behaviour', () => {
    const allowing = policy({ hardCapMicros: 500n, monthlySpendCapMicros: 100n, overage: 'allow' })
    expect(enforcedMonthlyLimits(allowing)).toEqual({ spendLimitMicros: 500n, tokenLimit: null })
  })

  it('enforces the lower of the hard cap and a blocking spend cap, and a blocking token limit', () => {
    const blocking = policy({
      hardCapMicros: 500n,
      monthlySpendCapMicros: 100n,
      monthlyTokenLimit: 42n,
      overage: 'block',
    })
    expect(enforcedMonthlyLimits(blocking)).toEqual({ spendLimitMicros: 100n, tokenLimit: 42n })
  })

  it('leaves a downgrading token limit to the decision: the request is served anyway', () => {
    const downgrading = policy({ monthlyTokenLimit: 42n, overage: 'downgrade' })
    expect(hasMonthlyLimits(downgrading)).toBe(true)
    expect(enforcedMonthlyLimits(downgrading)).toBeNull()
  })
})

describe('monthlyRefusalReason', () => {
  const limits = policy({ hardCapMicros: 500n, monthlyTokenLimit: 10n, overage: 'block' })
  it('names the hard cap first, then the token limit', () => {
    const request = { spendMicros: 10n, tokens: 5n }
    expect(
      monthlyRefusalReason({ policy: limits, totals: { spendMicros: 495n, tokens: 9n }, request }),
    ).toBe('hard_cap_reached')
    expect(
      monthlyRefusalReason({ policy: limits, totals: { spendMicros: 0n, tokens: 9n }, request }),
    ).toBe('monthly_token_limit_reached')
  })
})
