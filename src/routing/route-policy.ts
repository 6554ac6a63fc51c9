import { z } from 'zod'
import { formatParamPath } from '../lib/param-path.js'

/**
 * Why an upstream attempt failed, as routing sees it (see failure-condition.ts). Retry and
 * fallback rules name these.
 */
export const FAILURE_CONDITIONS = [
  'timeout',
  'connection_error',
  'rate_limited',
  'server_error',
  'bad_response',
  /** The provider rejected Ferry's own account: credential, quota, wrong endpoint. */
  'account_error',
  /** The provider said the prompt is too long for this model (another model may take it). */
  'context_length',
  /** The provider's content filter refused the request. */
  'content_filter',
] as const
export type FailureCondition = (typeof FAILURE_CONDITIONS)[number]

/** Budget states the budget engine reports for an organization (DESIGN: budget policy). */
export const BUDGET_STATES = ['ok', 'warn', 'downgrade', 'block'] as const
export type BudgetState = (typeof BUDGET_STATES)[number]

/** `defaultRoute` words; a route may not be named like one of them. */
export const DEFAULT_ROUTE_KEYWORDS = ['implicit', 'inherit', 'reject'] as const

/** Scope of a policy: the global default, or one organization's override. */
export type RoutePolicyScope = 'global' | `org_${string}`

const SCOPE = /^(global|org_[0-9a-z]{26})$/
export const RoutePolicyScopeSchema = z
  .string()
  .regex(SCOPE, 'must be `global` or an organization id (org_…)')
  .transform((s) => s as RoutePolicyScope)

const Name = z.string().min(1).max(200)
const Tier = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a short lowercase tier name, e.g. `economy`')
const Conditions = z.array(z.enum(FAILURE_CONDITIONS))

export const RouteTargetSchema = z.strictObject({
  /** A provider account's name (`openai-prod`). */
  provider: Name,
  /** The model name sent upstream. */
  model: Name,
  /** Share of traffic under the `weighted` strategy. @default 1 */
  weight: z.number().int().min(0).max(10_000).default(1),
  /** Time allowed for this target's response headers; replaces the account's `headersMs`. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
})

export const RetryPolicySchema = z.strictObject({
  /** Retries of the same target after a failure listed in `on`. @default 0 */
  maxRetries: z.number().int().min(0).max(5).default(0),
  /** @default 100 */
  initialBackoffMs: z.number().int().min(0).max(60_000).default(100),
  /** @default 2000 */
  maxBackoffMs: z.number().int().min(0).max(60_000).default(2000),
  /** @default 2 */
  multiplier: z.number().min(1).max(10).default(2),
  /** `full`: wait a uniform random time up to the backoff (AWS "full jitter"). @default 'full' */
  jitter: z.enum(['full', 'none']).default('full'),
  /** @default ['connection_error', 'rate_limited', 'server_error'] */
  on: Conditions.default(['connection_error', 'rate_limited', 'server_error']),
})

export const DEFAULT_FALLBACK_ON: readonly FailureCondition[] = [
  'timeout',
  'connection_error',
  'rate_limited',
  'server_error',
  'bad_response',
  'account_error',
]

export const RouteSchema = z.strictObject({
  /** Other names callers may request this route by. */
  aliases: z.array(Name).default([]),
  /** This route's tier, e.g. `premium`. */
  tier: Tier.optional(),
  /** `priority`: targets in order; `weighted`: order drawn by weight on each request. */
  strategy: z.enum(['priority', 'weighted']).default('priority'),
  targets: z.array(RouteTargetSchema).min(1).max(20),
  retry: RetryPolicySchema.prefault({}),
  /** Failures that move on to the next target (before the first byte reaches the client). */
  fallbackOn: Conditions.default([...DEFAULT_FALLBACK_ON]),
  /** A route tried after every target of this one failed. */
  fallbackRoute: Name.optional(),
  /** The route that serves this model at another tier (tier → route name), for downgrades. */
  tierRoutes: z.record(Tier, Name).default({}),
})

export const DowngradeRuleSchema = z.discriminatedUnion('when', [
  z.strictObject({
    /** Serve another tier while the organization's budget is in one of these states. */
    when: z.literal('budget_state'),
    budgetStates: z.array(z.enum(BUDGET_STATES)).min(1),
    serveTier: Tier,
  }),
  z.strictObject({
    /** Skip a target whose provider's circuit is open. */
    when: z.literal('provider_unhealthy'),
    action: z.literal('skip'),
  }),
])

/** A route policy as written (config file, admin API). */
export const RoutePolicyInputSchema = z.strictObject({
  routes: z.record(Name, RouteSchema).default({}),
  /**
   * What serves a model no route names: `implicit` (the provider accounts' models, as with no
   * policy), `inherit` (organizations only: the global policy), `reject` (404), or a route name.
   * @default 'implicit' globally, 'inherit' for an organization
   */
  defaultRoute: Name.optional(),
  /** @default [{ when: 'provider_unhealthy', action: 'skip' }] */
  downgradeRules: z
    .array(DowngradeRuleSchema)
    .default([{ when: 'provider_unhealthy', action: 'skip' }]),
})

export type RouteTarget = z.output<typeof RouteTargetSchema>
export type RetryPolicy = z.output<typeof RetryPolicySchema>
export type Route = z.output<typeof RouteSchema>
export type DowngradeRule = z.output<typeof DowngradeRuleSchema>
/** A validated policy with every default filled in: what is stored, hashed and compiled. */
export type RoutePolicyDocument = z.output<typeof RoutePolicyInputSchema> & {
  defaultRoute: string
}

/** One problem with a policy, as `param` (dotted path) and message. */
export interface PolicyProblem {
  param: string
  message: string
}

/**
 * Validate a policy for a scope: shape, defaults, and the references between routes (fallback
 * and tier routes exist, no fallback cycle, no name claimed twice). Provider names are checked
 * separately against the accounts (`checkProviders`), since those change on their own.
 */
export function parseRoutePolicy(
  input: unknown,
  scope: RoutePolicyScope,
): { ok: true; policy: RoutePolicyDocument } | { ok: false; problems: PolicyProblem[] } {
  const parsed = RoutePolicyInputSchema.safeParse(input)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        param: formatParamPath(issue.path) || 'policy',
        message: issue.message,
      })),
    }
  }
  const policy: RoutePolicyDocument = {
    ...parsed.data,
    defaultRoute: parsed.data.defaultRoute ?? (scope === 'global' ? 'implicit' : 'inherit'),
  }
  const problems = checkReferences(policy, scope)
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policy }
}

function checkReferences(policy: RoutePolicyDocument, scope: RoutePolicyScope): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  const keywords: readonly string[] = DEFAULT_ROUTE_KEYWORDS
  const names = new Map<string, string>()
  for (const [name, route] of Object.entries(policy.routes)) {
    for (const claimed of [name, ...route.aliases]) {
      if (keywords.includes(claimed))
        problems.push({ param: `routes.${name}`, message: `\`${claimed}\` is a reserved word` })
      const holder = names.get(claimed)
      if (holder !== undefined && holder !== name)
        problems.push({
          param: `routes.${name}`,
          message: `\`${claimed}\` is already a name of route \`${holder}\``,
        })
      names.set(claimed, name)
    }
    if (route.fallbackRoute !== undefined && !Object.hasOwn(policy.routes, route.fallbackRoute))
      problems.push({
        param: `routes.${name}.fallbackRoute`,
        message: `no route named \`${route.fallbackRoute}\``,
      })
    for (const [tier, target] of Object.entries(route.tierRoutes)) {
      if (!Object.hasOwn(policy.routes, target))
        problems.push({
          param: `routes.${name}.tierRoutes.${tier}`,
          message: `no route named \`${target}\``,
        })
    }
    if (route.strategy === 'weighted' && route.targets.every((t) => t.weight === 0))
      problems.push({
        param: `routes.${name}.targets`,
        message: 'a weighted route needs a target with weight above 0',
      })
  }
  const cycle = findFallbackCycle(policy)
  if (cycle !== null)
    problems.push({ param: 'routes', message: `fallback routes form a cycle: ${cycle}` })
  const dflt = policy.defaultRoute
  if (dflt === 'inherit' && scope === 'global')
    problems.push({ param: 'defaultRoute', message: 'the global policy cannot inherit' })
  else if (!keywords.includes(dflt) && !Object.hasOwn(policy.routes, dflt))
    problems.push({
      param: 'defaultRoute',
      message: `must be implicit, inherit, reject or a route name; no route named \`${dflt}\``,
    })
  return problems
}

function findFallbackCycle(policy: RoutePolicyDocument): string | null {
  for (const start of Object.keys(policy.routes)) {
    const path = [start]
    let next = policy.routes[start]?.fallbackRoute
    while (next !== undefined) {
      if (path.includes(next)) return [...path, next].join(' → ')
      path.push(next)
      next = policy.routes[next]?.fallbackRoute
    }
  }
  return null
}

/** Provider names a policy references that no account has. */
export function unknownProviders(
  policy: RoutePolicyDocument,
  known: ReadonlySet<string>,
): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  for (const [name, route] of Object.entries(policy.routes)) {
    route.targets.forEach((target, i) => {
      if (!known.has(target.provider))
        problems.push({
          param: `routes.${name}.targets[${i}].provider`,
          message: `no provider account named \`${target.provider}\``,
        })
    })
  }
  return problems
}

/** A short description of a policy for lists and audit events. */
export function summarizePolicy(policy: RoutePolicyDocument) {
  return {
    routes: Object.keys(policy.routes).sort(),
    defaultRoute: policy.defaultRoute,
    downgradeRules: policy.downgradeRules.length,
  }
}
