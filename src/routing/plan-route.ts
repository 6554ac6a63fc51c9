import type { Random } from '../lib/random.js'
import type { ProviderAccount } from '../providers/index.js'
import type { CircuitState } from './circuit-breaker.js'
import type { CompiledPolicy, CompiledRoute, CompiledTarget } from './compile-policy.js'
import type { BudgetState, FailureCondition, RetryPolicy } from './route-policy.js'

/** The policies in force for one request, resolved once at its start. */
export interface RoutingPolicies {
  readonly global: CompiledPolicy | null
  readonly organization: CompiledPolicy | null
}

/** The version reported when no policy has been published: provider accounts decide. */
export const IMPLICIT_POLICY_VERSION = '0'

/** Where the implicit policy (provider accounts' names, aliases, prefixes) sends a model. */
export type ImplicitResolve = (
  model: string,
) => { account: ProviderAccount; upstreamModel: string } | undefined

/** One target to try, in order. */
export interface PlannedTarget {
  readonly provider: string
  readonly providerAccountId: string
  readonly account: ProviderAccount
  /** The model sent upstream. */
  readonly model: string
  /** The route this target belongs to (null: implicit). */
  readonly route: string | null
  readonly retry: RetryPolicy
  readonly fallbackOn: ReadonlySet<FailureCondition>
}

/** A target the plan left out, and why. */
export interface SkippedTarget {
  provider: string
  model: string
  route: string | null
  reason: 'circuit_open' | 'provider_unavailable'
}

/** A budget-driven change of tier. */
export interface DowngradeDecision {
  rule: 'budget_state'
  budgetState: BudgetState
  fromRoute: string
  toRoute: string
  fromTier: string | null
  toTier: string
}

/** How a request will be routed, and why: planRoute's answer. */
export interface RoutePlan {
  /** The policy version that decided (`'0'`: implicit). */
  version: string
  policyScope: 'implicit' | 'global' | 'organization'
  contentHash: string | null
  route: string | null
  matchedBy: 'route' | 'alias' | 'default_route' | 'implicit'
  tier: string | null
  downgrade: DowngradeDecision | null
  /** A downgrade the budget asked for that this route cannot make (no route for that tier). */
  downgradeUnavailable: string | null
  targets: PlannedTarget[]
  skipped: SkippedTarget[]
  /** Skip a target whose circuit is open at attempt time (the policy's `provider_unhealthy` rule). */
  skipUnhealthy: boolean
  /** Words for people (dry-run, support); empty unless `explain` was asked for. */
  explanation: string[]
}

export type PlanResult =
  | { ok: true; plan: RoutePlan }
  | {
      ok: false
      reason: 'model_not_found' | 'no_available_target'
      version: string
      plan: RoutePlan | null
      explanation: string[]
    }

export interface PlanRouteInput {
  policies: RoutingPolicies
  model: string
  implicit: ImplicitResolve
  /** The organization's budget state. @default 'ok' */
  budgetState?: BudgetState
  health: { stateOf(providerAccountId: string): CircuitState }
  /** Draws the order of weighted targets. */
  random: Random
  /** Build `explanation` (dry-run); the request path leaves it off. @default false */
  explain?: boolean
}

const NO_RETRY: RetryPolicy = Object.freeze({
  maxRetries: 0,
  initialBackoffMs: 0,
  maxBackoffMs: 0,
  multiplier: 1,
  jitter: 'none',
  on: [],
})
const NEVER: ReadonlySet<FailureCondition> = new Set()

/**
 * Decide, without I/O, which targets serve a request and in what order: pick the policy
 * (organization override, then global, then implicit), match the model (name, alias, or the
 * policy's default route), apply a budget downgrade rule, expand fallback routes, order targets
 * (priority, or weighted by `random`), and leave out targets whose provider is missing or whose
 * circuit is open (when the policy skips unhealthy providers).
 */
export function planRoute(input: PlanRouteInput): PlanResult {
  const words: string[] | null = input.explain === true ? [] : null
  const say = (text: string) => words?.push(text)
  const { policies, model } = input
  const org = policies.organization
  const global = policies.global

  if (org !== null) {
    const match = matchIn(org, model)
    if (match !== null) return fromRoute({ input, policy: org, match, say, words })
    say(
      `Model \`${model}\` is not a route of the organization's policy v${org.version}; its default route is \`${org.defaultRoute}\`.`,
    )
    if (org.defaultRoute === 'reject') return notFound(org, words)
    if (org.defaultRoute === 'implicit') return implicitPlan({ input, policy: org, say, words })
  } else if (words !== null && global !== null) {
    say(
      `The organization has no route policy of its own; the global policy v${global.version} applies.`,
    )
  }
  if (global !== null) {
    const match = matchIn(global, model)
    if (match !== null) return fromRoute({ input, policy: global, match, say, words })
    say(
      `Model \`${model}\` is not a route of the global policy v${global.version}; its default route is \`${global.defaultRoute}\`.`,
    )
    if (global.defaultRoute === 'reject') return notFound(global, words)
    return implicitPlan({ input, policy: global, say, words })
  }
  say(
    'No route policy has been published: the provider accounts decide (implicit policy, version 0).',
  )
  return implicitPlan({ input, policy: null, say, words })
}

interface Match {
  route: CompiledRoute
  matchedBy: RoutePlan['matchedBy']
}

function matchIn(policy: CompiledPolicy, model: string): Match | null {
  const route = policy.byName.get(model)
  if (route !== undefined) return { route, matchedBy: route.name === model ? 'route' : 'alias' }
  const dflt = policy.routes.get(policy.defaultRoute)
  return dflt === undefined ? null : { route: dflt, matchedBy: 'default_route' }
}

function scopeOf(policy: CompiledPolicy): RoutePlan['policyScope'] {
  return policy.scope === 'global' ? 'global' : 'organization'
}

function notFound(policy: CompiledPolicy | null, words: string[] | null): PlanResult {
  words?.push('No target serves this model: the request is answered 404 model_not_found.')
  return {
    ok: false,
    reason: 'model_not_found',
    version: policy === null ? IMPLICIT_POLICY_VERSION : String(policy.version),
    plan: null,
    explanation: words ?? [],
  }
}

interface PlanContext {
  input: PlanRouteInput
  say: (text: string) => void
  words: string[] | null
}

function implicitPlan(ctx: PlanContext & { policy: CompiledPolicy | null }): PlanResult {
  const { input, policy, say, words } = ctx
  const resolved = input.implicit(input.model)
  if (resolved === undefined) return notFound(policy, words)
  const { account, upstreamModel } = resolved
  say(
    `The provider accounts serve \`${input.model}\`: account \`${account.label}\`, upstream model \`${upstreamModel}\` (no retries, no fallback).`,
  )
  return {
    ok: true,
    plan: {
      version: policy === null ? IMPLICIT_POLICY_VERSION : String(policy.version),
      policyScope: policy === null ? 'implicit' : scopeOf(policy),
      contentHash: policy?.contentHash ?? null,
      route: null,
      matchedBy: 'implicit',
      tier: null,
      downgrade: null,
      downgradeUnavailable: null,
      targets: [
        {
          provider: account.label,
          providerAccountId: account.id,
          account,
          model: upstreamModel,
          route: null,
          retry: NO_RETRY,
          fallbackOn: NEVER,
        },
      ],
      skipped: [],
      // The implicit policy behaves as before routing existed: its one target is always tried.
      skipUnhealthy: false,
      explanation: words ?? [],
    },
  }
}

function fromRoute(ctx: PlanContext & { policy: CompiledPolicy; match: Match }): PlanResult {
  const { input, policy, match, say, words } = ctx
  const requested = match.route
  say(
    match.matchedBy === 'default_route'
      ? `Served by the default route \`${requested.name}\` of the ${scopeOf(policy)} policy v${policy.version}.`
      : `Model \`${input.model}\` matches route \`${requested.name}\`${match.matchedBy === 'alias' ? ' (by alias)' : ''} of the ${scopeOf(policy)} policy v${policy.version}${requested.tier === null ? '' : `, tier \`${requested.tier}\``}.`,
  )
  const budgetState = input.budgetState ?? 'ok'
  let route = requested
  let downgrade: DowngradeDecision | null = null
  let downgradeUnavailable: string | null = null
  const rule = policy.budgetRules.find((r) => r.budgetStates.has(budgetState))
  if (rule !== undefined && requested.tier !== rule.serveTier) {
    const toName = requested.tierRoutes[rule.serveTier]
    const to = toName === undefined ? undefined : policy.routes.get(toName)
    if (to !== undefined) {
      route = to
      downgrade = {
        rule: 'budget_state',
        budgetState,
        fromRoute: requested.name,
        toRoute: to.name,
        fromTier: requested.tier,
        toTier: rule.serveTier,
      }
      say(
        `Budget state \`${budgetState}\` matches a downgrade rule (serve tier \`${rule.serveTier}\`): route \`${requested.name}\` is served by \`${to.name}\`.`,
      )
    } else {
      downgradeUnavailable = `budget state ${budgetState}: route ${requested.name} has no ${rule.serveTier} tier route`
      say(
        `Budget state \`${budgetState}\` asks for tier \`${rule.serveTier}\`, but route \`${requested.name}\` names no route for it: served as requested.`,
      )
    }
  } else if (rule !== undefined) {
    say(
      `Budget state \`${budgetState}\`: route \`${requested.name}\` is already tier \`${rule.serveTier}\`.`,
    )
  }

  const targets: PlannedTarget[] = []
  const skipped: SkippedTarget[] = []
  for (let current: CompiledRoute | undefined = route; current !== undefined;) {
    const ordered =
      current.strategy === 'weighted'
        ? weightedOrder(current.targets, input.random)
        : current.targets
    if (words !== null)
      say(
        `Route \`${current.name}\` (${current.strategy}) tries ${ordered.map((t) => `${t.provider}/${t.model}${current!.strategy === 'weighted' ? ` (weight ${t.weight})` : ''}`).join(', then ')}; retries ${current.retry.maxRetries} on ${current.retry.on.join(', ') || 'nothing'}; falls back on ${[...current.fallbackOn].join(', ') || 'nothing'}.`,
      )
    for (const target of ordered) {
      const account = target.account
      if (account === null) {
        skipped.push({
          provider: target.provider,
          model: target.model,
          route: current.name,
          reason: 'provider_unavailable',
        })
        say(
          `Skips ${target.provider}/${target.model}: no active provider account \`${target.provider}\`.`,
        )
        continue
      }
      if (policy.skipUnhealthy && input.health.stateOf(account.id) === 'open') {
        skipped.push({
          provider: target.provider,
          model: target.model,
          route: current.name,
          reason: 'circuit_open',
        })
        say(`Skips ${target.provider}/${target.model}: the provider's circuit is open (unhealthy).`)
        continue
      }
      targets.push({
        provider: target.provider,
        providerAccountId: account.id,
        account,
        model: target.model,
        route: current.name,
        retry: current.retry,
        fallbackOn: current.fallbackOn,
      })
    }
    if (current.fallbackRoute === null) break
    say(`After route \`${current.name}\`, its fallback route \`${current.fallbackRoute}\`.`)
    current = policy.routes.get(current.fallbackRoute)
  }

  const plan: RoutePlan = {
    version: String(policy.version),
    policyScope: scopeOf(policy),
    contentHash: policy.contentHash,
    route: route.name,
    matchedBy: match.matchedBy,
    tier: route.tier,
    downgrade,
    downgradeUnavailable,
    targets,
    skipped,
    skipUnhealthy: policy.skipUnhealthy,
    explanation: words ?? [],
  }
  if (targets.length === 0) {
    say('Every target was skipped: the request is answered 503 no_available_target.')
    return {
      ok: false,
      reason: 'no_available_target',
      version: plan.version,
      plan,
      explanation: words ?? [],
    }
  }
  const first = targets[0]!
  say(`Would serve with ${first.provider}/${first.model} first.`)
  return { ok: true, plan }
}

/**
 * Weighted order without replacement: each position is drawn among the remaining targets in
 * proportion to weight. Weight-0 targets come last, in declared order (standby).
 */
export function weightedOrder(
  targets: readonly CompiledTarget[],
  random: Random,
): CompiledTarget[] {
  const pool = targets.filter((t) => t.weight > 0)
  const standby = targets.filter((t) => t.weight === 0)
  const out: CompiledTarget[] = []
  let total = pool.reduce((sum, t) => sum + t.weight, 0)
  while (pool.length > 0) {
    let draw = random.next() * total
    let index = pool.length - 1
    for (let i = 0; i < pool.length; i++) {
      draw -= pool[i]!.weight
      if (draw < 0) {
        index = i
        break
      }
    }
    const [picked] = pool.splice(index, 1)
    out.push(picked!)
    total -= picked!.weight
  }
  return [...out, ...standby]
}
