import type { AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import type { KeyScopes } from '../keys/index.js'
import type { Clock } from '../lib/clock.js'
import { InvalidRequestError } from '../lib/errors.js'
import { systemRandom, type Random } from '../lib/random.js'
import type { ProviderAccount } from '../providers/index.js'
import type { Db } from '../storage/index.js'
import {
  createProviderHealth,
  type CircuitBreakerSettings,
  type CircuitSnapshot,
  type CircuitState,
  type ProviderHealth,
} from './circuit-breaker.js'
import { planRoute, type ImplicitResolve, type RoutingPolicies } from './plan-route.js'
import { findCurrentRoutePolicies, rowToRoutePolicy } from './route-policies.repository.js'
import { createRoutePoliciesService, type RoutePoliciesService } from './route-policies.service.js'
import { createRoutePolicyResolver, type RoutePolicyResolver } from './route-policy-resolver.js'
import type { BudgetState } from './route-policy.js'

/** What a dry-run asks: for this organization (or key) and model, who would serve and why. */
export interface DryRunInput {
  model: string
  organizationId?: string | undefined
  keyId?: string | undefined
  /** @default 'ok' */
  budgetState?: BudgetState | undefined
}

/** A routing decision explained in words and data, without calling any upstream. */
export interface RouteDecision {
  object: 'route_decision'
  model: string
  organizationId: string | null
  keyId: string | null
  budgetState: BudgetState
  decision: 'serve' | 'model_not_found' | 'no_available_target' | 'refused_by_key_scopes'
  routePolicyVersion: string | null
  policyScope: 'implicit' | 'global' | 'organization' | null
  route: string | null
  matchedBy: string | null
  tier: string | null
  downgrade: unknown
  wouldServe: { provider: string; model: string } | null
  targets: {
    provider: string
    providerAccountId: string
    model: string
    route: string | null
    circuit: CircuitState
    maxRetries: number
    retryOn: readonly string[]
    fallbackOn: string[]
  }[]
  skipped: { provider: string; model: string; route: string | null; reason: string }[]
  explanation: string[]
}

/** The routing pieces the composition root wires: admin service, resolver, health, dry-run. */
export interface RoutingAdmin {
  policies: RoutePoliciesService
  resolver: RoutePolicyResolver
  health: ProviderHealth
  random: Random
  dryRun(input: DryRunInput): Promise<RouteDecision>
  healthSnapshot(): CircuitSnapshot[]
}

export function createRoutingAdmin(deps: {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: CacheInvalidation
  circuitBreaker?: Partial<CircuitBreakerSettings>
  random?: Random
  /** Every provider account's name (stored and configured, any status). */
  providerNames: () => Promise<ReadonlySet<string>>
  /** Active provider accounts by name, adapter-ready. */
  loadAccounts: () => Promise<ReadonlyMap<string, ProviderAccount>>
  /** The implicit policy (provider accounts' models). */
  implicit: ImplicitResolve
  findKey: (keyId: string) => Promise<{ organizationId: string; scopes: KeyScopes }>
  onCircuitChange?: (change: { provider: string; from: CircuitState; to: CircuitState }) => void
  onError?: (err: unknown) => void
}): RoutingAdmin {
  const health = createProviderHealth({
    clock: deps.clock,
    ...(deps.circuitBreaker ? { settings: deps.circuitBreaker } : {}),
    ...(deps.onCircuitChange ? { onTransition: deps.onCircuitChange } : {}),
  })
  const resolver = createRoutePolicyResolver({
    loadPolicies: async () => (await findCurrentRoutePolicies(deps.db)).map(rowToRoutePolicy),
    loadAccounts: deps.loadAccounts,
    invalidation: deps.invalidation,
    ...(deps.onError ? { onError: deps.onError } : {}),
  })
  const policies = createRoutePoliciesService({
    db: deps.db,
    auditLog: deps.auditLog,
    clock: deps.clock,
    invalidation: deps.invalidation,
    providerNames: deps.providerNames,
    afterChange: () => resolver.reload(),
  })
  const random = deps.random ?? systemRandom

  return {
    policies,
    resolver,
    health,
    random,
    healthSnapshot: () => health.snapshot(),
    dryRun: async (input) => {
      let organizationId = input.organizationId ?? null
      let scopes: KeyScopes | null = null
      if (input.keyId !== undefined) {
        const key = await deps.findKey(input.keyId)
        if (organizationId !== null && organizationId !== key.organizationId)
          throw new InvalidRequestError('The key belongs to another organization.', {
            param: 'organizationId',
          })
        organizationId = key.organizationId
        scopes = key.scopes
      }
      const budgetState = input.budgetState ?? 'ok'
      const base = {
        object: 'route_decision' as const,
        model: input.model,
        organizationId,
        keyId: input.keyId ?? null,
        budgetState,
      }
      if (scopes !== null && scopes.models !== null && !scopes.models.includes(input.model)) {
        return {
          ...base,
          decision: 'refused_by_key_scopes',
          routePolicyVersion: null,
          policyScope: null,
          route: null,
          matchedBy: null,
          tier: null,
          downgrade: null,
          wouldServe: null,
          targets: [],
          skipped: [],
          explanation: [
            `The key's scopes do not include model \`${input.model}\`: the request is answered 404 model_not_found before any policy is consulted.`,
          ],
        }
      }
      const policiesNow: RoutingPolicies = resolver.policiesFor(organizationId)
      const planned = planRoute({
        policies: policiesNow,
        model: input.model,
        implicit: deps.implicit,
        budgetState,
        health,
        random,
        explain: true,
      })
      const plan = planned.ok ? planned.plan : planned.plan
      const first = planned.ok ? planned.plan.targets[0]! : null
      return {
        ...base,
        decision: planned.ok ? 'serve' : planned.reason,
        routePolicyVersion: planned.ok ? planned.plan.version : planned.version,
        policyScope: plan?.policyScope ?? null,
        route: plan?.route ?? null,
        matchedBy: plan?.matchedBy ?? null,
        tier: plan?.downgrade?.toTier ?? plan?.tier ?? null,
        downgrade: plan?.downgrade ?? null,
        wouldServe: first === null ? null : { provider: first.provider, model: first.model },
        targets: (plan?.targets ?? []).map((t) => ({
          provider: t.provider,
          providerAccountId: t.providerAccountId,
          model: t.model,
          route: t.route,
          circuit: health.stateOf(t.providerAccountId),
          maxRetries: t.retry.maxRetries,
          retryOn: t.retry.on,
          fallbackOn: [...t.fallbackOn],
        })),
        skipped: plan?.skipped ?? [],
        explanation: planned.ok ? planned.plan.explanation : planned.explanation,
      }
    },
  }
}
