import type { Micros } from '../billing/money.js'
import type { BudgetPolicyContent } from './budget-policy.js'

/** What a budget decides for one request, least severe first. */
export const BUDGET_DECISIONS = ['allow', 'warn', 'downgrade', 'block'] as const
export type BudgetDecisionKind = (typeof BUDGET_DECISIONS)[number]

/** Why: recorded on the usage event beside the decision and the policy version. */
export const BUDGET_REASONS = [
  'no_budget_policy',
  'within_budget',
  'insufficient_balance',
  'hard_cap_reached',
  'balance_below_block_threshold',
  'monthly_spend_cap_reached',
  'monthly_token_limit_reached',
  'balance_below_downgrade_threshold',
  'balance_below_warn_threshold',
  'monthly_spend_cap_overage_billed',
  'monthly_token_limit_overage_billed',
] as const
export type BudgetReason = (typeof BUDGET_REASONS)[number]

/** The policy version a decision was taken under (what the usage event records). */
export interface BudgetPolicyRef {
  readonly budgetPolicyId: string
  readonly version: number
  readonly keyId: string | null
  readonly content: BudgetPolicyContent
}

export interface BudgetDecision {
  readonly decision: BudgetDecisionKind
  readonly reason: BudgetReason
  /** `bpv_…` of the deciding policy version; null without a policy. */
  readonly budgetPolicyId: string | null
  readonly policyVersion: number | null
}

export interface BudgetInput {
  /** The version in force, or null when the organization (or key) has none. */
  readonly policy: BudgetPolicyRef | null
  /**
   * The prepaid balance available now (after other holds), or null for an organization without
   * a prepaid account (its spend is limited by the caps only).
   */
  readonly balanceMicros: Micros | null
  /** Spend and tokens of the current calendar month (UTC) in the policy's scope. */
  readonly monthToDate: { readonly tokens: bigint; readonly spendMicros: Micros }
  /** What this request may cost at most (the hold: `maxCost`). */
  readonly estimatedCostMicros: Micros
  /** Tokens this request may use at most (prompt + max output). */
  readonly estimatedTokens: bigint
}

const SEVERITY: Record<BudgetDecisionKind, number> = { allow: 0, warn: 1, downgrade: 2, block: 3 }

interface Finding {
  decision: BudgetDecisionKind
  reason: BudgetReason
}

function overageFinding(
  overage: BudgetPolicyContent['overage'],
  reasons: { reached: BudgetReason; billed: BudgetReason },
): Finding {
  switch (overage) {
    case 'block':
      return { decision: 'block', reason: reasons.reached }
    case 'downgrade':
      return { decision: 'downgrade', reason: reasons.reached }
    case 'allow':
      return { decision: 'warn', reason: reasons.billed }
  }
}

/**
 * Decide one request under one budget policy. Every rule is checked and the most severe
 * finding wins (block > downgrade > warn > allow); among equals, the first in this order:
 *
 * 1. a prepaid balance that cannot cover the estimate → block `insufficient_balance` (even
 *    without a policy: nothing is ever charged that the balance cannot pay);
 * 2. month-to-date spend + estimate over the hard cap → block `hard_cap_reached`;
 * 3. balance after the estimate below `blockBelowMicros` → block;
 * 4. spend over `monthlySpendCapMicros`, tokens over `monthlyTokenLimit` → the overage behaviour:
 *    block, downgrade, or allow-and-bill (decision `warn`, reason `…_overage_billed`);
 * 5. balance after the estimate below `downgradeBelowMicros` → downgrade, below
 *    `warnBelowMicros` → warn;
 * 6. otherwise allow `within_budget`.
 *
 * "Over" means strictly greater: spending exactly up to a cap is allowed. "Below" means
 * strictly less: a balance left exactly at a threshold is not below it.
 */
export function decideBudget(input: BudgetInput): BudgetDecision {
  const { policy, balanceMicros, monthToDate, estimatedCostMicros, estimatedTokens } = input
  const findings: Finding[] = []
  const after = balanceMicros === null ? null : balanceMicros - estimatedCostMicros
  if (after !== null && after < 0n)
    findings.push({ decision: 'block', reason: 'insufficient_balance' })
  if (policy !== null) {
    const p = policy.content
    const spend = monthToDate.spendMicros + estimatedCostMicros
    const tokens = monthToDate.tokens + estimatedTokens
    const below = (threshold: Micros | null) =>
      after !== null && threshold !== null && after < threshold
    if (p.hardCapMicros !== null && spend > p.hardCapMicros)
      findings.push({ decision: 'block', reason: 'hard_cap_reached' })
    if (below(p.thresholds.blockBelowMicros))
      findings.push({ decision: 'block', reason: 'balance_below_block_threshold' })
    if (p.monthlySpendCapMicros !== null && spend > p.monthlySpendCapMicros)
      findings.push(
        overageFinding(p.overage, {
          reached: 'monthly_spend_cap_reached',
          billed: 'monthly_spend_cap_overage_billed',
        }),
      )
    if (p.monthlyTokenLimit !== null && tokens > p.monthlyTokenLimit)
      findings.push(
        overageFinding(p.overage, {
          reached: 'monthly_token_limit_reached',
          billed: 'monthly_token_limit_overage_billed',
        }),
      )
    if (below(p.thresholds.downgradeBelowMicros))
      findings.push({ decision: 'downgrade', reason: 'balance_below_downgrade_threshold' })
    if (below(p.thresholds.warnBelowMicros))
      findings.push({ decision: 'warn', reason: 'balance_below_warn_threshold' })
  }
  const worst = findings.reduce<Finding | undefined>(
    (best, f) => (best === undefined || SEVERITY[f.decision] > SEVERITY[best.decision] ? f : best),
    undefined,
  )
  return {
    ...(worst ?? {
      decision: 'allow',
      reason: policy === null ? 'no_budget_policy' : 'within_budget',
    }),
    budgetPolicyId: policy?.budgetPolicyId ?? null,
    policyVersion: policy?.version ?? null,
  }
}

/**
 * The decision that applies when several policies govern a request (the organization's and the
 * key's): the most severe; among equals, the first given that was taken under a policy (pass the
 * key's decision first so its version is recorded when both agree).
 */
export function mostSevereDecision(decisions: readonly BudgetDecision[]): BudgetDecision {
  if (decisions.length === 0) throw new RangeError('mostSevereDecision needs a decision')
  return decisions.reduce((best, d) => {
    const diff = SEVERITY[d.decision] - SEVERITY[best.decision]
    if (diff > 0) return d
    // Equal severity: a decision taken under a policy names its version; prefer it.
    if (diff === 0 && best.budgetPolicyId === null && d.budgetPolicyId !== null) return d
    return best
  })
}

/** True when the request must not be served (answer 429 `insufficient_quota`, charge nothing). */
export function isBlocked(decision: BudgetDecision): boolean {
  return decision.decision === 'block'
}
