import type { ProviderAccount } from '../providers/index.js'
import type {
  BudgetState,
  FailureCondition,
  RetryPolicy,
  RoutePolicyDocument,
  RoutePolicyScope,
} from './route-policy.js'

/** A stored policy version, as the repository returns it. */
export interface RoutePolicyVersion {
  routePolicyId: string
  /** Globally unique and increasing across scopes: the number every request reports. */
  version: number
  scope: RoutePolicyScope
  contentHash: string
  policy: RoutePolicyDocument
  /** `admin` (API), `config` (the config file, by the system), `rollback` (an old version again). */
  source: 'admin' | 'config' | 'rollback'
  /** For a rollback: the version it republished. */
  rolledBackFromVersion: number | null
  createdBy: string
  createdAt: string
}

/** A target with its provider account looked up (null: no active account of that name). */
export interface CompiledTarget {
  readonly provider: string
  readonly model: string
  readonly weight: number
  /** Frozen, with the target's `timeoutMs` applied; built once per load (adapters cache per object). */
  readonly account: ProviderAccount | null
}

export interface CompiledRoute {
  readonly name: string
  readonly tier: string | null
  readonly strategy: 'priority' | 'weighted'
  readonly targets: readonly CompiledTarget[]
  readonly retry: RetryPolicy
  readonly fallbackOn: ReadonlySet<FailureCondition>
  readonly fallbackRoute: string | null
  readonly tierRoutes: Readonly<Record<string, string>>
}

/** A policy version ready for planRoute: every lookup a request needs is a Map get. */
export interface CompiledPolicy {
  readonly version: number
  readonly scope: RoutePolicyScope
  readonly contentHash: string
  readonly defaultRoute: string
  /** Route names and aliases → route. */
  readonly byName: ReadonlyMap<string, CompiledRoute>
  /** Canonical names → route. */
  readonly routes: ReadonlyMap<string, CompiledRoute>
  readonly budgetRules: readonly {
    readonly budgetStates: ReadonlySet<BudgetState>
    readonly serveTier: string
  }[]
  readonly skipUnhealthy: boolean
}

/**
 * Bind a policy version to the provider accounts that exist now. A target naming an account
 * that is missing or disabled keeps `account: null` and is skipped (with its reason) when
 * planned, so a deleted account degrades a route instead of breaking every request.
 */
export function compilePolicy(
  stored: Pick<RoutePolicyVersion, 'version' | 'scope' | 'contentHash' | 'policy'>,
  accountsByName: ReadonlyMap<string, ProviderAccount>,
): CompiledPolicy {
  const { policy } = stored
  const routes = new Map<string, CompiledRoute>()
  const byName = new Map<string, CompiledRoute>()
  for (const [name, route] of Object.entries(policy.routes)) {
    const compiled: CompiledRoute = Object.freeze({
      name,
      tier: route.tier ?? null,
      strategy: route.strategy,
      targets: route.targets.map((target) => {
        const account = accountsByName.get(target.provider)
        return Object.freeze({
          provider: target.provider,
          model: target.model,
          weight: target.weight,
          account: account === undefined ? null : withTimeout(account, target.timeoutMs),
        })
      }),
      retry: Object.freeze({ ...route.retry }),
      fallbackOn: new Set(route.fallbackOn),
      fallbackRoute: route.fallbackRoute ?? null,
      tierRoutes: Object.freeze({ ...route.tierRoutes }),
    })
    routes.set(name, compiled)
    byName.set(name, compiled)
    for (const alias of route.aliases) byName.set(alias, compiled)
  }
  const budgetRules: CompiledPolicy['budgetRules'] = []
  let skipUnhealthy = false
  for (const rule of policy.downgradeRules) {
    if (rule.when === 'budget_state')
      (budgetRules as { budgetStates: Set<BudgetState>; serveTier: string }[]).push({
        budgetStates: new Set(rule.budgetStates),
        serveTier: rule.serveTier,
      })
    else skipUnhealthy = true
  }
  return Object.freeze({
    version: stored.version,
    scope: stored.scope,
    contentHash: stored.contentHash,
    defaultRoute: policy.defaultRoute,
    byName,
    routes,
    budgetRules,
    skipUnhealthy,
  })
}

function withTimeout(account: ProviderAccount, timeoutMs: number | undefined): ProviderAccount {
  if (timeoutMs === undefined) return account
  return Object.freeze({
    ...account,
    timeouts: Object.freeze({ ...account.timeouts, headersMs: timeoutMs }),
  })
}
