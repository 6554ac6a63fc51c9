import { z } from 'zod'
import {
  BUDGET_STATES,
  DowngradeRuleSchema,
  FAILURE_CONDITIONS,
  RetryPolicySchema,
  RoutePolicyInputSchema,
  RoutePolicyScopeSchema,
  RouteTargetSchema,
} from '../../routing/index.js'
import { Timestamp } from './wire.schemas.js'

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

/** A stored policy: every default filled in (RoutePolicyDocument). */
export const RoutePolicyDocumentResponse = RoutePolicyInputSchema.extend({
  defaultRoute: z.string(),
})

/** A version as routePolicyView writes it. */
export const RoutePolicyResponse = z.object({
  object: z.literal('route_policy'),
  routePolicyId: z.string(),
  /** Globally unique and increasing across scopes: the number every request reports. */
  version: z.number().int(),
  scope: z.string(),
  organizationId: z.string().nullable(),
  contentHash: z.string(),
  policy: RoutePolicyDocumentResponse,
  source: z.enum(['admin', 'config', 'rollback']),
  rolledBackFromVersion: z.number().int().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
  summary: z.object({
    routes: z.array(z.string()),
    defaultRoute: z.string(),
    downgradeRules: z.number().int(),
  }),
})

/**
 * The version in force for a scope: a version as above, or, while the scope has none (an
 * organization without an override, or no global policy yet), this placeholder.
 */
export const CurrentRoutePolicyResponse = z.union([
  RoutePolicyResponse,
  z.object({
    object: z.literal('route_policy'),
    scope: z.string(),
    version: z.null(),
    policy: z.null(),
  }),
])

const VersionRef = z.object({
  version: z.number().int(),
  scope: z.string(),
  contentHash: z.string(),
})

export const RoutePolicyDiffResponse = z.object({
  object: z.literal('route_policy_diff'),
  from: VersionRef,
  to: VersionRef,
  changes: z.array(
    z.object({
      /** Dotted path of the changed value. */
      path: z.string(),
      kind: z.enum(['added', 'removed', 'changed']),
      before: z.unknown().optional(),
      after: z.unknown().optional(),
    }),
  ),
})

/** What a request for a model would do, and why (src/routing/routing-admin.ts RouteDecision). */
export const RouteDecisionResponse = z.object({
  object: z.literal('route_decision'),
  model: z.string(),
  organizationId: z.string().nullable(),
  keyId: z.string().nullable(),
  budgetState: z.enum(BUDGET_STATES),
  decision: z.enum(['serve', 'model_not_found', 'no_available_target', 'refused_by_key_scopes']),
  routePolicyVersion: z.string().nullable(),
  policyScope: z.enum(['implicit', 'global', 'organization']).nullable(),
  route: z.string().nullable(),
  matchedBy: z.string().nullable(),
  tier: z.string().nullable(),
  downgrade: z.unknown(),
  wouldServe: z.object({ provider: z.string(), model: z.string() }).nullable(),
  targets: z.array(
    z.object({
      provider: z.string(),
      providerAccountId: z.string(),
      model: z.string(),
      route: z.string().nullable(),
      circuit: z.enum(['closed', 'open', 'half_open']),
      maxRetries: z.number().int(),
      retryOn: z.array(z.string()),
      fallbackOn: z.array(z.string()),
    }),
  ),
  skipped: z.array(
    z.object({
      provider: z.string(),
      model: z.string(),
      route: z.string().nullable(),
      reason: z.string(),
    }),
  ),
  explanation: z.array(z.string()),
})

/** One provider account's circuit breaker on this instance (CircuitSnapshot, plus ISO times). */
const CircuitResponse = z.object({
  providerAccountId: z.string(),
  provider: z.string(),
  state: z.enum(['closed', 'open', 'half_open']),
  consecutiveFailures: z.number().int(),
  /** When the circuit last opened (ms since epoch); null if it never did. */
  openedAtMs: z.number().int().nullable(),
  /** When an open circuit lets a probe through (ms since epoch); null unless open. */
  retryAtMs: z.number().int().nullable(),
  totalFailures: z.number().int(),
  totalSuccesses: z.number().int(),
  timesOpened: z.number().int(),
  /** openedAtMs as a timestamp. */
  openedAt: Timestamp.nullable(),
  /** retryAtMs as a timestamp. */
  retryAt: Timestamp.nullable(),
})

/** Only accounts this instance has sent a request to since it started have a circuit. */
export const ProviderHealthResponse = z.object({
  object: z.literal('list'),
  data: z.array(CircuitResponse),
})
