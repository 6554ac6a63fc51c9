import type { CacheInvalidation } from '../invalidation/index.js'
import { ServiceUnavailableError } from '../lib/errors.js'
import { createReloader } from '../lib/reloader.js'
import { budgetScope, type BudgetPolicyVersion } from './budget-policy.js'
import type { BudgetPolicyRef } from './decide-budget.js'

/** The budget policies that govern one request. */
export interface RequestBudgetPolicies {
  readonly organization: BudgetPolicyRef | null
  readonly key: BudgetPolicyRef | null
}

/**
 * The budget policy versions in force, in memory: the request path resolves them without
 * touching the database. Rebuilt at start, on every `budget-policy` (or `all`) invalidation,
 * and on a slow timer.
 */
export interface BudgetBook {
  /**
   * The organization's and the key's policy in force (null where none). Throws
   * ServiceUnavailableError (503) until the policies were loaded once: budgets fail closed. No I/O.
   */
  policiesFor(request: { organizationId: string; keyId: string | null }): RequestBudgetPolicies
  ready(): Promise<void>
  reload(): Promise<void>
  stop(): void
}

function toRef(version: BudgetPolicyVersion): BudgetPolicyRef {
  return {
    budgetPolicyId: version.budgetPolicyId,
    version: version.version,
    keyId: version.keyId,
    content: version.content,
  }
}

export function createBudgetBook(options: {
  loadCurrent: () => Promise<readonly BudgetPolicyVersion[]>
  invalidation: Pick<CacheInvalidation, 'subscribe'>
  /** @default 60000 */
  refreshIntervalMs?: number
  onError?: (err: unknown) => void
}): BudgetBook {
  const reloader = createReloader<ReadonlyMap<string, BudgetPolicyRef>>({
    initial: new Map(),
    load: async () =>
      new Map((await options.loadCurrent()).map((v) => [budgetScope(v), toRef(v)] as const)),
    subscribe: (reload) =>
      options.invalidation.subscribe((message) => {
        if (message.kind === 'budget-policy' || message.kind === 'all') reload()
      }),
    ...(options.refreshIntervalMs !== undefined
      ? { refreshIntervalMs: options.refreshIntervalMs }
      : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  })
  return {
    policiesFor: ({ organizationId, keyId }) => {
      if (!reloader.loaded())
        throw new ServiceUnavailableError('Budget policies are not loaded yet; retry shortly.')
      const byScope = reloader.current()
      return {
        organization: byScope.get(organizationId) ?? null,
        key: keyId === null ? null : (byScope.get(budgetScope({ organizationId, keyId })) ?? null),
      }
    },
    ready: reloader.ready,
    reload: reloader.reload,
    stop: reloader.stop,
  }
}
