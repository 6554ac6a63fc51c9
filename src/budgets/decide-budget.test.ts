import { describe, expect, it } from 'vitest'
import type { BudgetPolicyContent } from './budget-policy.js'
import {
  decideBudget,
  mostSevereDecision,
  type BudgetDecision,
  type BudgetInput,
} from './decide-budget.js'

const NO_LIMITS: BudgetPolicyContent = {
  monthlyTokenLimit: null,
  monthlySpendCapMicros: null,
  hardCapMicros: null,
  thresholds: { warnBelowMicros: null, downgradeBelowMicros: null, blockBelowMicros: null },
  overage: 'block',
  rateLimits: {},
}

function policy(content: Partial<BudgetPolicyContent>): BudgetInput['policy'] {
  return { budgetPolicyId: 'bpv_1', version: 3, keyId: null, content: { ...NO_LIMITS, ...content } }
}

const THRESHOLDS = {
  thresholds: { warnBelowMicros: 1_000n, downgradeBelowMicros: 500n, blockBelowMicros: 100n },
}

interface Case {
  name: string
  policy: BudgetInput['policy']
  balance: bigint | null
  spend?: bigint
  tokens?: bigint
  cost: bigint
  estimatedTokens?: bigint
  expected: Pick<BudgetDecision, 'decision' | 'reason'>
}

const CASES: Case[] = [
  {
    name: 'no policy, enough balance',
    policy: null,
    balance: 10n,
    cost: 10n,
    expected: { decision: 'allow', reason: 'no_budget_policy' },
  },
  {
    name: 'no policy, balance one micro short',
    policy: null,
    balance: 9n,
    cost: 10n,
    expected: { decision: 'block', reason: 'insufficient_balance' },
  },
  {
    name: 'no prepaid account and no limits',
    policy: policy({}),
    balance: null,
    cost: 1_000_000n,
    expected: { decision: 'allow', reason: 'within_budget' },
  },
  {
    name: 'balance stays at the warn threshold exactly',
    policy: policy(THRESHOLDS),
    balance: 1_100n,
    cost: 100n,
    expected: { decision: 'allow', reason: 'within_budget' },
  },
  {
    name: 'balance ends one micro below warn',
    policy: policy(THRESHOLDS),
    balance: 1_100n,
    cost: 101n,
    expected: { decision: 'warn', reason: 'balance_below_warn_threshold' },
  },
  {
    name: 'balance ends below downgrade',
    policy: policy(THRESHOLDS),
    balance: 600n,
    cost: 101n,
    expected: { decision: 'downgrade', reason: 'balance_below_downgrade_threshold' },
  },
  {
    name: 'balance ends below block',
    policy: policy(THRESHOLDS),
    balance: 150n,
    cost: 51n,
    expected: { decision: 'block', reason: 'balance_below_block_threshold' },
  },
  {
    name: 'spend exactly at the monthly cap is allowed',
    policy: policy({ monthlySpendCapMicros: 1_000n }),
    balance: null,
    spend: 900n,
    cost: 100n,
    expected: { decision: 'allow', reason: 'within_budget' },
  },
  {
    name: 'over the spend cap with overage block',
    policy: policy({ monthlySpendCapMicros: 1_000n, overage: 'block' }),
    balance: null,
    spend: 900n,
    cost: 101n,
    expected: { decision: 'block', reason: 'monthly_spend_cap_reached' },
  },
  {
    name: 'over the spend cap with overage downgrade',
    policy: policy({ monthlySpendCapMicros: 1_000n, overage: 'downgrade' }),
    balance: null,
    spend: 1_000n,
    cost: 1n,
    expected: { decision: 'downgrade', reason: 'monthly_spend_cap_reached' },
  },
  {
    name: 'over the spend cap with overage allow: served and billed, flagged',
    policy: policy({ monthlySpendCapMicros: 1_000n, overage: 'allow' }),
    balance: null,
    spend: 5_000n,
    cost: 1n,
    expected: { decision: 'warn', reason: 'monthly_spend_cap_overage_billed' },
  },
  {
    name: 'allow-and-bill still stops at the hard cap',
    policy: policy({ monthlySpendCapMicros: 1_000n, hardCapMicros: 2_000n, overage: 'allow' }),
    balance: null,
    spend: 1_950n,
    cost: 51n,
    expected: { decision: 'block', reason: 'hard_cap_reached' },
  },
  {
    name: 'over the monthly token limit with overage downgrade',
    policy: policy({ monthlyTokenLimit: 10_000n, overage: 'downgrade' }),
    balance: null,
    tokens: 9_000n,
    estimatedTokens: 1_001n,
    cost: 0n,
    expected: { decision: 'downgrade', reason: 'monthly_token_limit_reached' },
  },
  {
    name: 'token limit with overage allow',
    policy: policy({ monthlyTokenLimit: 10n, overage: 'allow' }),
    balance: null,
    tokens: 10n,
    estimatedTokens: 1n,
    cost: 0n,
    expected: { decision: 'warn', reason: 'monthly_token_limit_overage_billed' },
  },
  {
    name: 'the most severe finding wins: downgrade threshold beats allow-and-bill warn',
    policy: policy({ ...THRESHOLDS, monthlySpendCapMicros: 10n, overage: 'allow' }),
    balance: 600n,
    spend: 10n,
    cost: 101n,
    expected: { decision: 'downgrade', reason: 'balance_below_downgrade_threshold' },
  },
  {
    name: 'among blocks the balance comes first',
    policy: policy({ hardCapMicros: 10n }),
    balance: 5n,
    spend: 10n,
    cost: 10n,
    expected: { decision: 'block', reason: 'insufficient_balance' },
  },
]

describe('decideBudget', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const decision = decideBudget({
        policy: c.policy,
        balanceMicros: c.balance,
        monthToDate: { tokens: c.tokens ?? 0n, spendMicros: c.spend ?? 0n },
        estimatedCostMicros: c.cost,
        estimatedTokens: c.estimatedTokens ?? 0n,
      })
      expect({ decision: decision.decision, reason: decision.reason }).toEqual(c.expected)
      expect(decision.policyVersion).toBe(c.policy === null ? null : 3)
      expect(decision.budgetPolicyId).toBe(c.policy === null ? null : 'bpv_1')
    })
  }
})

describe('mostSevereDecision', () => {
  const d = (decision: BudgetDecision['decision'], id: string | null): BudgetDecision => ({
    decision,
    reason: 'within_budget',
    budgetPolicyId: id,
    policyVersion: id === null ? null : 1,
  })

  it('takes the most severe, and prefers a decision taken under a policy among equals', () => {
    expect(mostSevereDecision([d('allow', 'bpv_key'), d('block', 'bpv_org')]).budgetPolicyId).toBe(
      'bpv_org',
    )
    expect(mostSevereDecision([d('allow', null), d('allow', 'bpv_org')]).budgetPolicyId).toBe(
      'bpv_org',
    )
    expect(mostSevereDecision([d('warn', 'bpv_key'), d('warn', 'bpv_org')]).budgetPolicyId).toBe(
      'bpv_key',
    )
  })
})
