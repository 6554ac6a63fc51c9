import { z } from 'zod'
import {
  BUDGET_POLICY_CHANGES,
  BUDGET_POLICY_FIELDS,
  OVERAGE_BEHAVIOURS,
  budgetPolicyContentToJson,
  checkBudgetPolicyRules,
  type BudgetPolicyVersion,
} from '../../budgets/index.js'
import { CountString, MicrosString, RateLimitsResponse, Timestamp } from './wire.schemas.js'

const OrganizationId = z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)')
const KeyId = z.string().regex(/^[0-9A-Za-z]{16}$/, 'must be an API key id (16 letters and digits)')
const Version = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER)

export const BudgetOrganizationParams = z.strictObject({ organizationId: OrganizationId })

export const BudgetVersionParams = z.strictObject({
  organizationId: OrganizationId,
  version: Version,
})

/** `keyId` selects a key's own policy; absent: the organization's. */
export const BudgetScopeQuery = z.strictObject({ keyId: KeyId.optional() })

export const ListBudgetPoliciesQuery = z.strictObject({
  keyId: KeyId.optional(),
  /** The version of the last item of the previous page. */
  after: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
})

export const DiffBudgetPoliciesQuery = z.strictObject({
  keyId: KeyId.optional(),
  from: Version,
  to: Version,
})

/** The policy's fields, plus `keyId` for a key's own policy. */
export const PublishBudgetPolicyBody = z
  .strictObject({ ...BUDGET_POLICY_FIELDS, keyId: KeyId.optional() })
  .superRefine(checkBudgetPolicyRules)

export const RollbackBudgetPolicyBody = z.strictObject({
  keyId: KeyId.optional(),
  toVersion: Version,
})

export const UpdateHardCapBody = z.strictObject({
  keyId: KeyId.optional(),
  /** Micros, as a decimal string or a safe integer; null removes the hard cap. */
  hardCapMicros: z.union([
    z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a whole number of micros'),
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.null(),
  ]),
})

/** A version as the admin API shows it: money as decimal strings of micros. */
export function toBudgetPolicyResponse(version: BudgetPolicyVersion) {
  return {
    object: 'budget_policy',
    budgetPolicyId: version.budgetPolicyId,
    organizationId: version.organizationId,
    keyId: version.keyId,
    version: version.version,
    contentHash: version.contentHash,
    change: version.change,
    rolledBackFromVersion: version.rolledBackFromVersion,
    policy: budgetPolicyContentToJson(version.content),
    createdBy: version.createdBy,
    createdAt: version.createdAt,
  }
}

const OptionalMicros = MicrosString.nullable()

/** A policy's content on the wire (budgetPolicyContentToJson): every field present. */
export const BudgetPolicyContentResponse = z.object({
  monthlyTokenLimit: CountString.nullable(),
  monthlySpendCapMicros: OptionalMicros,
  hardCapMicros: OptionalMicros,
  thresholds: z.object({
    warnBelowMicros: OptionalMicros,
    downgradeBelowMicros: OptionalMicros,
    blockBelowMicros: OptionalMicros,
  }),
  overage: z.enum(OVERAGE_BEHAVIOURS),
  rateLimits: RateLimitsResponse,
})

/** What toBudgetPolicyResponse writes. */
export const BudgetPolicyResponse = z.object({
  object: z.literal('budget_policy'),
  budgetPolicyId: z.string(),
  organizationId: z.string(),
  keyId: z.string().nullable(),
  version: z.number().int(),
  contentHash: z.string(),
  change: z.enum(BUDGET_POLICY_CHANGES),
  rolledBackFromVersion: z.number().int().nullable(),
  policy: BudgetPolicyContentResponse,
  createdBy: z.string(),
  createdAt: Timestamp,
})

export const BudgetPolicyDiffResponse = z.object({
  object: z.literal('budget_policy_diff'),
  from: BudgetPolicyResponse,
  to: BudgetPolicyResponse,
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
})
