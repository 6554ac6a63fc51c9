import { z } from 'zod'
import {
  BUDGET_STATES,
  DowngradeRuleSchema,
  FAILURE_CONDITIONS,
  RetryPolicySchema,
  RoutePolicyScopeSchema,
  RouteTargetSchema,
} from '../../routing/index.js'

const Version = z.coerce.number().int().min(1)

export const RoutePolicyVersionParams = z.strictObject({ version: Version })
export const RoutePolicyScopeParams = z.strictObject({ scope: RoutePolicyScopeSchema })
export const RoutePolicyRouteParams = z.strictObject({
  scope: RoutePolicyScopeSchema,
  model: z.string().min(1).max(200),
})

export const ListRoutePoliciesQuery = z.strictObject({
  scope: RoutePolicyScopeSchema.optional(),
  /** Versions below this one (the previous page's `nextCursor`). */
  after: Version.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const DiffQuery = z.strictObject({ from: Version, to: Version })

export const DryRunQuery = z.strictObject({
  model: z.string().min(1).max(200),
  organizationId: z
    .string()
    .regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)')
    .optional(),
  keyId: z.string().min(1).max(64).optional(),
  budgetState: z.enum(BUDGET_STATES).optional(),
})

export const PublishRoutePolicyBody = z.strictObject({
  scope: RoutePolicyScopeSchema,
  /** The whole policy (docs/routing.md); validated by the routing domain. */
  policy: z.record(z.string(), z.unknown()),
})

export const DefaultRouteBody = z.strictObject({
  defaultRoute: z.string().min(1).max(200),
})

export const TargetsBody = z.strictObject({
  strategy: z.enum(['priority', 'weighted']).optional(),
  targets: z.array(RouteTargetSchema).min(1).max(20),
})

export const FallbackBody = z.strictObject({
  fallbackOn: z.array(z.enum(FAILURE_CONDITIONS)).optional(),
  fallbackRoute: z.string().min(1).max(200).nullable().optional(),
  retry: RetryPolicySchema.optional(),
})

export const TierBody = z.strictObject({
  tier: z.string().min(1).max(32).nullable().optional(),
  tierRoutes: z.record(z.string(), z.string()).optional(),
})

export const DowngradeRulesBody = z.strictObject({
  downgradeRules: z.array(DowngradeRuleSchema),
})
