import type { Micros } from '../billing/money.js'
import type { BudgetPolicyContent } from './budget-policy.js'
import type { BudgetReason } from './decide-budget.js'

/**
 * The monthly limits a policy never lets requests jointly exceed: the hard cap always, the
 * monthly spend cap and token limit when their overage behaviour is `block` (`downgrade` and
 * `allow` serve the request anyway). Null when the policy sets none of them.
 */
export interface EnforcedMonthlyLimits {
  /** The lower of the hard cap and a blocking spend cap. */
  readonly spendLimitMicros: Micros | null
  readonly tokenLimit: bigint | null
}

/** True when the month-to-date totals matter to this policy's decisions at all. */
export function hasMonthlyLimits(policy: BudgetPolicyContent): boolean {
  return (
    policy.hardCapMicros !== null ||
    policy.monthlySpendCapMicros !== null ||
    policy.monthlyTokenLimit !== null
  )
}

export function enforcedMonthlyLimits(policy: BudgetPolicyContent): EnforcedMonthlyLimits | null {
  const blocks = policy.overage === 'block'
  const spendCaps = [policy.hardCapMicros, blocks ? policy.monthlySpendCapMicros : null].filter(
    (cap): cap is Micros => cap !== null,
  )
  const spendLimitMicros =
    spendCaps.length === 0 ? null : spendCaps.reduce((a, b) => (b < a ? b : a))
  const tokenLimit = blocks ? policy.monthlyTokenLimit : null
  if (spendLimitMicros === null && tokenLimit === null) return null
  return { spendLimitMicros, tokenLimit }
}

/**
 * Which limit refused a reservation, given the totals (settled + reserved) it met: the same
 * order of reasons as decideBudget (hard cap first). Falls back to the first limit set when
 * none is exceeded any more (the totals moved between the refusal and this reading).
 */
export function monthlyRefusalReason(input: {
  policy: BudgetPolicyContent
  totals: { spendMicros: Micros; tokens: bigint }
  request: { spendMicros: Micros; tokens: bigint }
}): BudgetReason {
  const { policy, totals, request } = input
  const spend = totals.spendMicros + request.spendMicros
  const tokens = totals.tokens + request.tokens
  const blocks = policy.overage === 'block'
  if (policy.hardCapMicros !== null && spend > policy.hardCapMicros) return 'hard_cap_reached'
  if (blocks && policy.monthlySpendCapMicros !== null && spend > policy.monthlySpendCapMicros)
    return 'monthly_spend_cap_reached'
  if (blocks && policy.monthlyTokenLimit !== null && tokens > policy.monthlyTokenLimit)
    return 'monthly_token_limit_reached'
  if (policy.hardCapMicros !== null) return 'hard_cap_reached'
  return blocks && policy.monthlySpendCapMicros !== null
    ? 'monthly_spend_cap_reached'
    : 'monthly_token_limit_reached'
}
