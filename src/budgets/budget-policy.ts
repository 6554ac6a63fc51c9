import { z } from 'zod'
import type { Micros } from '../billing/money.js'
import { ZOD_CUSTOM_ISSUE } from '../lib/zod-custom-issue.js'

/** What happens to a request over the monthly spend cap or token limit. */
export const OVERAGE_BEHAVIOURS = ['block', 'downgrade', 'allow'] as const
export type OverageBehaviour = (typeof OVERAGE_BEHAVIOURS)[number]

/** The prepaid-balance thresholds, most severe last. */
export const BUDGET_THRESHOLDS = ['warn', 'downgrade', 'block'] as const
export type BudgetThreshold = (typeof BUDGET_THRESHOLDS)[number]

/** Where the change that made a version came from. */
export const BUDGET_POLICY_CHANGES = ['publish', 'rollback', 'hard_cap_update'] as const
export type BudgetPolicyChange = (typeof BUDGET_POLICY_CHANGES)[number]

/**
 * A budget policy's content. Every limit is optional (null: no limit). Money is bigint micros
 * (src/billing/money.ts). Months are calendar months in UTC.
 */
export interface BudgetPolicyContent {
  /** Tokens (prompt + completion) per month before the overage behaviour applies. */
  readonly monthlyTokenLimit: bigint | null
  /** Spend per month before the overage behaviour applies. */
  readonly monthlySpendCapMicros: Micros | null
  /**
   * Spend per month that is never exceeded, whatever the overage behaviour ("allow and bill"
   * included). Changed only by the high-risk `budget_policy.hard_cap_update`.
   */
  readonly hardCapMicros: Micros | null
  /** Prepaid balance levels (after the request's estimated cost) that warn, downgrade, block. */
  readonly thresholds: {
    readonly warnBelowMicros: Micros | null
    readonly downgradeBelowMicros: Micros | null
    readonly blockBelowMicros: Micros | null
  }
  readonly overage: OverageBehaviour
  /** Requests and tokens per minute (in addition to the key's and organization's own). */
  readonly rateLimits: { readonly requestsPerMinute?: number; readonly tokensPerMinute?: number }
}

/** One immutable version of the policy of an organization (or of one of its keys). */
export interface BudgetPolicyVersion {
  readonly budgetPolicyId: string
  readonly organizationId: string
  /** Null: the organization's policy; else the key's own. */
  readonly keyId: string | null
  readonly version: number
  readonly contentHash: string
  readonly content: BudgetPolicyContent
  readonly change: BudgetPolicyChange
  readonly rolledBackFromVersion: number | null
  readonly createdBy: string
  readonly createdAt: string
}

/** `org_…` or `org_…/<key id>`: versions are numbered per scope. */
export function budgetScope(where: { organizationId: string; keyId: string | null }): string {
  return where.keyId === null ? where.organizationId : `${where.organizationId}/${where.keyId}`
}

/** A non-negative whole number (micros, tokens) as a decimal string or a safe integer; null: none. */
const OptionalAmount = z
  .union([
    z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a whole number'),
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value <= 9_223_372_036_854_775_807n, 'is too large')
  .nullable()
  .default(null)

/** The policy's fields as the admin API and the stored JSON write them (money as strings). */
export const BUDGET_POLICY_FIELDS = {
  monthlyTokenLimit: OptionalAmount,
  monthlySpendCapMicros: OptionalAmount,
  hardCapMicros: OptionalAmount,
  thresholds: z
    .strictObject({
      warnBelowMicros: OptionalAmount,
      downgradeBelowMicros: OptionalAmount,
      blockBelowMicros: OptionalAmount,
    })
    .prefault({}),
  overage: z.enum(OVERAGE_BEHAVIOURS).default('block'),
  rateLimits: z
    .strictObject({
      requestsPerMinute: z.number().int().min(1).max(10_000_000).optional(),
      tokensPerMinute: z.number().int().min(1).max(10_000_000_000).optional(),
    })
    .prefault({}),
}

/**
 * The rules across fields: block ≤ downgrade ≤ warn thresholds, and a hard cap at least the
 * monthly spend cap (the hard cap is the last limit).
 */
export function checkBudgetPolicyRules(policy: BudgetPolicyContent, ctx: z.RefinementCtx): void {
  const {
    warnBelowMicros: warn,
    downgradeBelowMicros: downgrade,
    blockBelowMicros: block,
  } = policy.thresholds
  const ordered: [string, bigint | null][] = [
    ['blockBelowMicros', block],
    ['downgradeBelowMicros', downgrade],
    ['warnBelowMicros', warn],
  ]
  const set = ordered.filter((entry): entry is [string, bigint] => entry[1] !== null)
  for (let i = 1; i < set.length; i++) {
    if (set[i]![1] < set[i - 1]![1])
      ctx.addIssue({
        code: ZOD_CUSTOM_ISSUE,

        path: ['thresholds', set[i]![0]],
        message: `must be at least ${set[i - 1]![0]} (block ≤ downgrade ≤ warn)`,
      })
  }
  if (
    policy.hardCapMicros !== null &&
    policy.monthlySpendCapMicros !== null &&
    policy.hardCapMicros < policy.monthlySpendCapMicros
  )
    ctx.addIssue({
      code: ZOD_CUSTOM_ISSUE,

      path: ['hardCapMicros'],
      message: 'must be at least monthlySpendCapMicros (the hard cap is the last limit)',
    })
}

export const BudgetPolicyContentSchema = z
  .strictObject(BUDGET_POLICY_FIELDS)
  .superRefine(checkBudgetPolicyRules)

/** The JSON form: money and counts as decimal strings, every field present. */
export function budgetPolicyContentToJson(content: BudgetPolicyContent): Record<string, unknown> {
  const text = (value: bigint | null) => (value === null ? null : value.toString())
  return {
    monthlyTokenLimit: text(content.monthlyTokenLimit),
    monthlySpendCapMicros: text(content.monthlySpendCapMicros),
    hardCapMicros: text(content.hardCapMicros),
    thresholds: {
      warnBelowMicros: text(content.thresholds.warnBelowMicros),
      downgradeBelowMicros: text(content.thresholds.downgradeBelowMicros),
      blockBelowMicros: text(content.thresholds.blockBelowMicros),
    },
    overage: content.overage,
    rateLimits: { ...content.rateLimits },
  }
}

/** Parse stored content (written by budgetPolicyContentToJson). */
export function parseBudgetPolicyContent(json: string): BudgetPolicyContent {
  return BudgetPolicyContentSchema.parse(JSON.parse(json))
}

/** A field that differs between two versions: its path and both JSON values. */
export interface BudgetPolicyFieldChange {
  readonly field: string
  readonly from: unknown
  readonly to: unknown
}

/** Field-by-field differences between two contents (dotted paths, JSON values). */
export function diffBudgetPolicies(
  from: BudgetPolicyContent,
  to: BudgetPolicyContent,
): BudgetPolicyFieldChange[] {
  const flat = (value: Record<string, unknown>, prefix = ''): Map<string, unknown> => {
    const out = new Map<string, unknown>()
    for (const [key, inner] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
        for (const [p, v] of flat(inner as Record<string, unknown>, path)) out.set(p, v)
      } else out.set(path, inner)
    }
    return out
  }
  const a = flat(budgetPolicyContentToJson(from))
  const b = flat(budgetPolicyContentToJson(to))
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort()
  return fields
    .filter((field) => a.get(field) !== b.get(field))
    .map((field) => ({ field, from: a.get(field) ?? null, to: b.get(field) ?? null }))
}
