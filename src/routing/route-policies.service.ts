import type { AuditAction, AuditContext, AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { ConfigError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Db } from '../storage/index.js'
import type { RoutePolicyVersion } from './compile-policy.js'
import { diffPolicies, type PolicyChange } from './policy-diff.js'
import { policyContentHash } from './policy-hash.js'
import {
  findCurrentRoutePolicy,
  findLatestConfigPolicy,
  findRoutePolicies,
  findRoutePolicyByVersion,
  insertRoutePolicy,
  nextRoutePolicyVersion,
  rowToRoutePolicy,
} from './route-policies.repository.js'
import {
  parseRoutePolicy,
  summarizePolicy,
  unknownProviders,
  type PolicyProblem,
  type RoutePolicyDocument,
  type RoutePolicyScope,
} from './route-policy.js'
import {
  RoutePolicyNotFoundError,
  RoutePolicyUnchangedError,
  invalidRoutePolicy,
} from './routing-errors.js'
import { canonicalJson } from '../audit/canonical-json.js'

export interface RoutePoliciesServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
  /** Names of the provider accounts that exist now (a target must name one). */
  providerNames: () => Promise<ReadonlySet<string>>
  /** Awaited after each committed change (the resolver's reload), like provider accounts. */
  afterChange?: () => Promise<void>
}

/** The actions that publish a version: a whole document, a rollback, or one granular change. */
export type PublishAction = Extract<AuditAction, `route_policy.${string}` | `route.${string}`>

/** The route policies declared in the config file (`routing.policies`). */
export interface ConfiguredRoutePolicies {
  global?: Record<string, unknown> | undefined
  organizations?: Readonly<Record<string, Record<string, unknown>>>
}

/** What a config-file sync did per scope. */
export interface ConfigSyncResult {
  scope: RoutePolicyScope
  outcome: 'published' | 'unchanged'
  version: number
}

/** The audit reason code (not an error code) of a publish from the config file. */
const CONFIG_FILE_REASON = 'config_file_changed'

/** The system actor that publishes the config file's policies. */
export const CONFIG_FILE_ACTOR: AuditContext = Object.freeze({
  actor: { type: 'system' as const, id: 'system:config_file:route_policies', role: null },
  ip: null,
  userAgent: null,
  requestId: null,
  reason: { code: CONFIG_FILE_REASON },
})

/** A version as the admin API shows it. */
export function routePolicyView(version: RoutePolicyVersion) {
  return {
    object: 'route_policy' as const,
    ...version,
    organizationId: version.scope === 'global' ? null : version.scope,
    summary: summarizePolicy(version.policy),
  }
}
export type RoutePolicyView = ReturnType<typeof routePolicyView>

function auditView(version: RoutePolicyVersion) {
  return {
    version: version.version,
    contentHash: version.contentHash,
    scope: version.scope,
    organizationId: version.scope === 'global' ? null : version.scope,
    source: version.source,
    rolledBackFromVersion: version.rolledBackFromVersion,
    summary: summarizePolicy(version.policy),
    policy: version.policy,
  }
}

/**
 * Route policies: immutable versions per scope (global, or one organization's override). Every
 * change publishes a new version inside `auditLog.run` (the version and its audit event commit
 * together), then tells every instance to reload. Nothing is ever updated or deleted: the
 * previous versions stay readable, and a rollback republishes an old document as a new version.
 */
export function createRoutePoliciesService(deps: RoutePoliciesServiceDeps) {
  const { db, auditLog, clock } = deps

  function validate(
    input: unknown,
    scope: RoutePolicyScope,
    providers: ReadonlySet<string>,
  ): RoutePolicyDocument {
    const parsed = parseRoutePolicy(input, scope)
    if (!parsed.ok) throw invalidRoutePolicy(parsed.problems)
    const problems = unknownProviders(parsed.policy, providers)
    if (problems.length > 0) throw invalidRoutePolicy(problems)
    return parsed.policy
  }

  async function mustFind(version: number, reader: Db = db): Promise<RoutePolicyVersion> {
    const row = await findRoutePolicyByVersion(reader, version)
    if (!row) throw new RoutePolicyNotFoundError(`version ${version}`)
    return rowToRoutePolicy(row)
  }

  /** Insert the next version of a scope inside an audited transaction; one event describes it. */
  async function publishVersion(
    context: AuditContext,
    options: {
      action: PublishAction
      scope: RoutePolicyScope
      /** Build the new document from the current one (null: the scope has none yet). */
      build: (
        current: RoutePolicyVersion | null,
        context: { tx: Db; providers: ReadonlySet<string> },
      ) => Promise<RoutePolicyDocument> | RoutePolicyDocument
      source: RoutePolicyVersion['source']
      rolledBackFromVersion?: number
      /** Publish even when identical to the current version (config sync decides itself). */
      allowUnchanged?: boolean
    },
  ): Promise<RoutePolicyVersion> {
    // Read before the transaction: on SQLite a query outside it would wait for its connection.
    const providers = await deps.providerNames()
    const published = await publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, options.action, async (tx) => {
        const currentRow = await findCurrentRoutePolicy(tx, options.scope)
        const current = currentRow ? rowToRoutePolicy(currentRow) : null
        const policy = await options.build(current, { tx, providers })
        const contentHash = policyContentHash(policy)
        if (current !== null && current.contentHash === contentHash && !options.allowUnchanged)
          throw new RoutePolicyUnchangedError(current.version)
        const nowMs = clock.nowMs()
        const version = await nextRoutePolicyVersion(tx)
        const row = {
          route_policy_id: newId('rtp', nowMs),
          version,
          scope: options.scope,
          policy_json: canonicalJson(policy),
          content_hash: contentHash,
          source: options.source,
          rolled_back_from_version:
            options.rolledBackFromVersion === undefined
              ? null
              : BigInt(options.rolledBackFromVersion),
          created_by: context.actor.id,
          created_at: toIsoTimestamp(nowMs),
        }
        await insertRoutePolicy(tx, row)
        invalidate({ kind: 'route-policy', id: options.scope })
        const created = rowToRoutePolicy(row)
        return {
          result: created,
          event: {
            organizationId: options.scope === 'global' ? null : options.scope,
            target: {
              type: 'route_policy',
              id: created.routePolicyId,
              label: `${options.scope} v${created.version}`,
            },
            before: current === null ? null : auditView(current),
            after: auditView(created),
            policyVersion: String(created.version),
            evidence: {
              changes: current === null ? null : diffPolicies(current.policy, policy).length,
            },
          },
        }
      }),
    )
    await deps.afterChange?.()
    return published
  }

  return {
    /** Versions newest first (of one scope, or all), `limit` at most, below `before`. */
    list: async (filters: { scope?: RoutePolicyScope; before?: number; limit: number }) =>
      (
        await findRoutePolicies(db, {
          limit: filters.limit,
          ...(filters.scope ? { scope: filters.scope } : {}),
          ...(filters.before !== undefined ? { beforeVersion: filters.before } : {}),
        })
      ).map(rowToRoutePolicy),

    get: (version: number) => mustFind(version),

    /** The version in force for a scope, or null when none was published. */
    current: async (scope: RoutePolicyScope): Promise<RoutePolicyVersion | null> => {
      const row = await findCurrentRoutePolicy(db, scope)
      return row ? rowToRoutePolicy(row) : null
    },

    /** What changed from one version to another (any two, any scopes). */
    diff: async (
      from: number,
      to: number,
    ): Promise<{ from: RoutePolicyVersion; to: RoutePolicyVersion; changes: PolicyChange[] }> => {
      const [a, b] = [await mustFind(from), await mustFind(to)]
      return { from: a, to: b, changes: diffPolicies(a.policy, b.policy) }
    },

    /** Publish a whole document as the scope's next version (a production change: reason required). */
    publish: (context: AuditContext, input: { scope: RoutePolicyScope; policy: unknown }) =>
      publishVersion(context, {
        action: 'route_policy.publish_production',
        scope: input.scope,
        source: 'admin',
        build: (_current, { providers }) => validate(input.policy, input.scope, providers),
      }),

    /** Publish an old version's document again, as the next version of its scope. */
    rollback: async (context: AuditContext, input: { version: number }) => {
      // Versions are immutable: reading the old one outside the transaction is safe.
      const old = await mustFind(input.version)
      return publishVersion(context, {
        action: 'route_policy.rollback',
        scope: old.scope,
        source: 'rollback',
        rolledBackFromVersion: old.version,
        build: () => Promise.resolve(old.policy),
      })
    },

    /**
     * One granular change (default route, a route's targets, fallback, tier, downgrade rules):
     * `change` edits a copy of the current document, which is validated and published with its
     * own audit action.
     */
    amend: (
      context: AuditContext,
      input: {
        scope: RoutePolicyScope
        action: Extract<AuditAction, `route.${string}`>
        change: (policy: RoutePolicyDocument, current: RoutePolicyVersion | null) => unknown
      },
    ) =>
      publishVersion(context, {
        action: input.action,
        scope: input.scope,
        source: 'admin',
        build: (current, { providers }) => {
          const base: RoutePolicyDocument =
            current === null ? emptyPolicy(input.scope) : structuredClone(current.policy)
          return validate(input.change(base, current), input.scope, providers)
        },
      }),

    /**
     * Publish the config file's policies where they changed since the file was last loaded
     * (compared with the latest version that came from the file, by content hash), as the
     * system actor. An admin's later publish stays in force until the file itself changes.
     * Throws ConfigError listing every problem; publishes nothing then.
     */
    syncFromConfig: async (declared: ConfiguredRoutePolicies): Promise<ConfigSyncResult[]> => {
      const entries: [RoutePolicyScope, unknown][] = []
      if (declared.global !== undefined) entries.push(['global', declared.global])
      for (const [org, policy] of Object.entries(declared.organizations ?? {}))
        entries.push([org as RoutePolicyScope, policy])
      const problems: string[] = []
      const validated: [RoutePolicyScope, RoutePolicyDocument][] = []
      const names = await deps.providerNames()
      for (const [scope, input] of entries) {
        if (!/^(global|org_[0-9a-z]{26})$/.test(scope)) {
          problems.push(`routing.policies.organizations: '${scope}' is not an organization id`)
          continue
        }
        const parsed = parseRoutePolicy(input, scope)
        const found: PolicyProblem[] = parsed.ok
          ? unknownProviders(parsed.policy, names)
          : parsed.problems
        const prefix =
          scope === 'global' ? 'routing.policies.global' : `routing.policies.organizations.${scope}`
        for (const p of found) problems.push(`${prefix}.${p.param}: ${p.message}`)
        if (parsed.ok && found.length === 0) validated.push([scope, parsed.policy])
      }
      if (problems.length > 0) throw new ConfigError(problems)
      const results: ConfigSyncResult[] = []
      for (const [scope, policy] of validated) {
        const hash = policyContentHash(policy)
        const last = await findLatestConfigPolicy(db, scope)
        if (last && last.content_hash === hash) {
          results.push({ scope, outcome: 'unchanged', version: Number(last.version) })
          continue
        }
        const created = await publishVersion(CONFIG_FILE_ACTOR, {
          action: 'route_policy.publish',
          scope,
          source: 'config',
          allowUnchanged: true,
          build: async (_current, { tx }) => {
            // Another instance starting on the same file may have published it meanwhile:
            // throwing rolls this transaction (and its event) back.
            const again = await findLatestConfigPolicy(tx, scope)
            if (again && again.content_hash === hash)
              throw new AlreadyPublished(Number(again.version))
            return policy
          },
        }).catch((err: unknown) => {
          if (err instanceof AlreadyPublished) return err.version
          throw err
        })
        results.push(
          typeof created === 'number'
            ? { scope, outcome: 'unchanged', version: created }
            : { scope, outcome: 'published', version: created.version },
        )
      }
      return results
    },
  }
}

function emptyPolicy(scope: RoutePolicyScope): RoutePolicyDocument {
  return {
    routes: {},
    defaultRoute: scope === 'global' ? 'implicit' : 'inherit',
    downgradeRules: [{ when: 'provider_unhealthy', action: 'skip' }],
  }
}

class AlreadyPublished extends Error {
  constructor(readonly version: number) {
    super('already published')
  }
}

export type RoutePoliciesService = ReturnType<typeof createRoutePoliciesService>
