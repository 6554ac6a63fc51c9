import type { CacheInvalidation } from '../invalidation/index.js'
import { createReloader } from '../lib/reloader.js'
import type { ProviderAccount } from '../providers/index.js'
import { compilePolicy, type CompiledPolicy, type RoutePolicyVersion } from './compile-policy.js'
import type { RoutingPolicies } from './plan-route.js'

/**
 * The route policies in force, in memory: the current global version and each organization's
 * override, compiled against the provider accounts. `policiesFor` is a Map lookup with no I/O
 * and no allocation; a request keeps the object it got for its whole life, so a policy
 * published mid-request never changes a request already started. Reloaded at start, on every
 * `route-policy`, `provider-account` or `all` invalidation, and on a slow timer as a backstop.
 */
export interface RoutePolicyResolver {
  policiesFor(organizationId: string | null): RoutingPolicies
  ready(): Promise<void>
  /** Reload now; resolves when a load that started after this call has finished. Never rejects. */
  reload(): Promise<void>
  stop(): void
}

export interface RoutePolicyResolverOptions {
  /** The current version of every scope. */
  loadPolicies: () => Promise<readonly RoutePolicyVersion[]>
  /** Active provider accounts by name, adapter-ready. */
  loadAccounts: () => Promise<ReadonlyMap<string, ProviderAccount>>
  invalidation: Pick<CacheInvalidation, 'subscribe'>
  /** @default 60000; 0 turns it off. */
  refreshIntervalMs?: number
  /** A failed load keeps the previous policies; this hears about it. */
  onError?: (err: unknown) => void
}

interface Loaded {
  globalOnly: RoutingPolicies
  byOrganization: ReadonlyMap<string, RoutingPolicies>
}

const NONE: Loaded = {
  globalOnly: Object.freeze({ global: null, organization: null }),
  byOrganization: new Map(),
}

export function createRoutePolicyResolver(
  options: RoutePolicyResolverOptions,
): RoutePolicyResolver {
  const load = async (): Promise<Loaded> => {
    const [versions, accounts] = await Promise.all([options.loadPolicies(), options.loadAccounts()])
    let global: CompiledPolicy | null = null
    const orgs: CompiledPolicy[] = []
    for (const version of versions) {
      const compiled = compilePolicy(version, accounts)
      if (version.scope === 'global') global = compiled
      else orgs.push(compiled)
    }
    return {
      globalOnly: Object.freeze({ global, organization: null }),
      byOrganization: new Map(
        orgs.map((org) => [org.scope, Object.freeze({ global, organization: org })]),
      ),
    }
  }

  // Loads run one at a time; a reload asked for during a load gets a fresh load after it.
  const policies = createReloader<Loaded>({
    initial: NONE,
    load,
    subscribe: (reload) =>
      options.invalidation.subscribe((message) => {
        if (
          message.kind === 'route-policy' ||
          message.kind === 'provider-account' ||
          message.kind === 'all'
        )
          reload()
      }),
    ...(options.refreshIntervalMs !== undefined
      ? { refreshIntervalMs: options.refreshIntervalMs }
      : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  })

  return {
    policiesFor: (organizationId) => {
      const loaded = policies.current()
      return (
        (organizationId === null ? undefined : loaded.byOrganization.get(organizationId)) ??
        loaded.globalOnly
      )
    },
    ready: policies.ready,
    reload: policies.reload,
    stop: policies.stop,
  }
}
