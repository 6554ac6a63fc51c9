import { createHash } from 'node:crypto'
import {
  canonicalJson,
  type AuditAction,
  type AuditContext,
  type AuditLog,
} from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import { ApiKeyNotFoundError } from '../keys/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { OrganizationNotFoundError, findOrganizationById } from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import {
  BudgetPolicyNotFoundError,
  HardCapChangeError,
  invalidBudgetPolicy,
} from './budget-errors.js'
import {
  BudgetPolicyContentSchema,
  budgetPolicyContentToJson,
  budgetScope,
  diffBudgetPolicies,
  parseBudgetPolicyContent,
  type BudgetPolicyChange,
  type BudgetPolicyContent,
  type BudgetPolicyFieldChange,
  type BudgetPolicyVersion,
} from './budget-policy.js'
import {
  findBudgetPolicyRow,
  findBudgetPolicyRows,
  findCurrentBudgetPolicyRows,
  findKeyOrganizationId,
  findLatestBudgetPolicyRow,
  insertBudgetPolicyRow,
  type BudgetPolicyRow,
} from './budget-policies.repository.js'
import { formatParamPath } from '../lib/param-path.js'

export const BUDGET_POLICY_ID_PREFIX = 'bpv'

/** Which policy: an organization's (keyId null) or one of its keys'. */
export interface BudgetPolicyScope {
  organizationId: string
  keyId: string | null
}

export interface BudgetPoliciesServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
  /** Awaited after each committed change (the budget book's reload). */
  afterChange?: () => Promise<void>
}

/** A policy with every limit off: what a hard cap update starts from when there is no policy. */
export const EMPTY_BUDGET_POLICY: BudgetPolicyContent = {
  monthlyTokenLimit: null,
  monthlySpendCapMicros: null,
  hardCapMicros: null,
  thresholds: { warnBelowMicros: null, downgradeBelowMicros: null, blockBelowMicros: null },
  overage: 'block',
  rateLimits: {},
}

export function rowToBudgetPolicy(row: BudgetPolicyRow): BudgetPolicyVersion {
  return {
    budgetPolicyId: row.budget_policy_id,
    organizationId: row.organization_id,
    keyId: row.key_id,
    version: Number(row.version),
    contentHash: row.content_hash,
    content: parseBudgetPolicyContent(row.content_json),
    change: row.change as BudgetPolicyChange,
    rolledBackFromVersion:
      row.rolled_back_from_version === null ? null : Number(row.rolled_back_from_version),
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}

/** Re-check the content's rules (the route validated its shape; a hard cap update did not). */
function checkContent(content: BudgetPolicyContent): void {
  const parsed = BudgetPolicyContentSchema.safeParse(budgetPolicyContentToJson(content))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw invalidBudgetPolicy(formatParamPath(issue.path) || 'body', issue.message)
  }
}

function diffOf(version: BudgetPolicyVersion | undefined) {
  if (version === undefined) return null
  return {
    version: version.version,
    contentHash: version.contentHash,
    organizationId: version.organizationId,
    keyId: version.keyId,
    change: version.change,
    rolledBackFromVersion: version.rolledBackFromVersion,
    summary: budgetPolicyContentToJson(version.content),
  }
}

/**
 * Budget policies: per organization (and optionally per key), each change a new immutable
 * version. Publish, rollback (re-publishes an old version's content as a new version) and hard
 * cap update are audited actions; the last two are high-risk and need a reason.
 */
export function createBudgetPoliciesService(deps: BudgetPoliciesServiceDeps) {
  const { db, auditLog, clock } = deps

  async function assertScope(tx: Db, scope: BudgetPolicyScope): Promise<void> {
    if (!(await findOrganizationById(tx, scope.organizationId)))
      throw new OrganizationNotFoundError(scope.organizationId)
    if (scope.keyId !== null) {
      const owner = await findKeyOrganizationId(tx, scope.keyId)
      // A key of another organization is "not found" here: IDs of others are not confirmed.
      if (owner !== scope.organizationId) throw new ApiKeyNotFoundError(scope.keyId)
    }
  }

  async function mustFindVersion(reader: Db, where: BudgetPolicyScope & { version: number }) {
    const row = await findBudgetPolicyRow(reader, {
      scope: budgetScope(where),
      version: where.version,
    })
    if (!row)
      throw new BudgetPolicyNotFoundError(`version ${where.version} for ${budgetScope(where)}`)
    return rowToBudgetPolicy(row)
  }

  /** Write the next version of a scope and its audit event in one transaction. */
  async function writeVersion(
    context: AuditContext,
    options: {
      action: AuditAction
      scope: BudgetPolicyScope
      change: BudgetPolicyChange
      /** The new content, given the version in force (undefined when there is none). */
      contentFrom: (
        tx: Db,
        current: BudgetPolicyVersion | undefined,
      ) => Promise<{
        content: BudgetPolicyContent
        rolledBackFromVersion?: number
      }>
    },
  ): Promise<BudgetPolicyVersion> {
    const scopeKey = budgetScope(options.scope)
    const written = await publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, options.action, async (tx) => {
        await assertScope(tx, options.scope)
        const currentRow = await findLatestBudgetPolicyRow(tx, scopeKey)
        const current = currentRow ? rowToBudgetPolicy(currentRow) : undefined
        const { content, rolledBackFromVersion } = await options.contentFrom(tx, current)
        checkContent(content)
        const contentJson = canonicalJson(budgetPolicyContentToJson(content))
        const nowMs = clock.nowMs()
        const row: BudgetPolicyRow = {
          budget_policy_id: newId(BUDGET_POLICY_ID_PREFIX, nowMs),
          scope: scopeKey,
          organization_id: options.scope.organizationId,
          key_id: options.scope.keyId,
          version: (currentRow?.version ?? 0n) + 1n,
          content_json: contentJson,
          content_hash: createHash('sha256').update(contentJson).digest('hex'),
          change: options.change,
          rolled_back_from_version:
            rolledBackFromVersion === undefined ? null : BigInt(rolledBackFromVersion),
          created_by: context.actor.id,
          created_at: toIsoTimestamp(nowMs),
        }
        await insertBudgetPolicyRow(tx, row)
        invalidate({ kind: 'budget-policy', id: scopeKey })
        const version = rowToBudgetPolicy(row)
        return {
          result: version,
          event: {
            organizationId: options.scope.organizationId,
            target: {
              type: 'budget_policy',
              id: version.budgetPolicyId,
              label: `${scopeKey} v${version.version}`,
            },
            before: diffOf(current),
            after: diffOf(version),
            policyVersion: String(version.version),
          },
        }
      }),
    )
    await deps.afterChange?.()
    return written
  }

  return {
    /** Versions of one scope, newest first. */
    listVersions: async (
      options: BudgetPolicyScope & { limit: number; beforeVersion?: number },
    ): Promise<BudgetPolicyVersion[]> =>
      (
        await findBudgetPolicyRows(db, {
          scope: budgetScope(options),
          limit: options.limit,
          ...(options.beforeVersion !== undefined ? { beforeVersion: options.beforeVersion } : {}),
        })
      ).map(rowToBudgetPolicy),

    getVersion: (where: BudgetPolicyScope & { version: number }) => mustFindVersion(db, where),

    /** The version in force, or null. */
    getCurrent: async (scope: BudgetPolicyScope): Promise<BudgetPolicyVersion | null> => {
      const row = await findLatestBudgetPolicyRow(db, budgetScope(scope))
      return row ? rowToBudgetPolicy(row) : null
    },

    /**
     * Publish a new version. It must keep the hard cap of the version in force (400
     * `hard_cap_change_not_allowed`): the hard cap changes only through `updateHardCap`.
     */
    publish: (
      context: AuditContext,
      input: BudgetPolicyScope & { content: BudgetPolicyContent },
    ): Promise<BudgetPolicyVersion> =>
      writeVersion(context, {
        action: 'budget_policy.publish',
        scope: input,
        change: 'publish',
        contentFrom: (_tx, current) => {
          if (
            current !== undefined &&
            current.content.hardCapMicros !== input.content.hardCapMicros
          )
            throw new HardCapChangeError()
          return Promise.resolve({ content: input.content })
        },
      }),

    /** Re-publish an earlier version's content as a new version (high-risk: needs a reason). */
    rollback: (
      context: AuditContext,
      input: BudgetPolicyScope & { toVersion: number },
    ): Promise<BudgetPolicyVersion> =>
      writeVersion(context, {
        action: 'budget_policy.rollback',
        scope: input,
        change: 'rollback',
        contentFrom: async (tx) => {
          const target = await mustFindVersion(tx, { ...input, version: input.toVersion })
          return { content: target.content, rolledBackFromVersion: target.version }
        },
      }),

    /** Set (or, with null, remove) the hard cap: a new version (high-risk: needs a reason). */
    updateHardCap: (
      context: AuditContext,
      input: BudgetPolicyScope & { hardCapMicros: bigint | null },
    ): Promise<BudgetPolicyVersion> =>
      writeVersion(context, {
        action: 'budget_policy.hard_cap_update',
        scope: input,
        change: 'hard_cap_update',
        contentFrom: (_tx, current) =>
          Promise.resolve({
            content: {
              ...(current?.content ?? EMPTY_BUDGET_POLICY),
              hardCapMicros: input.hardCapMicros,
            },
          }),
      }),

    /** Field-by-field differences from one version to another of the same scope. */
    diff: async (
      input: BudgetPolicyScope & { fromVersion: number; toVersion: number },
    ): Promise<{
      from: BudgetPolicyVersion
      to: BudgetPolicyVersion
      changes: BudgetPolicyFieldChange[]
    }> => {
      const from = await mustFindVersion(db, { ...input, version: input.fromVersion })
      const to = await mustFindVersion(db, { ...input, version: input.toVersion })
      return { from, to, changes: diffBudgetPolicies(from.content, to.content) }
    },

    /** Every version in force (the budget book's load). */
    loadCurrent: async (): Promise<BudgetPolicyVersion[]> =>
      (await findCurrentBudgetPolicyRows(db)).map(rowToBudgetPolicy),
  }
}

export type BudgetPoliciesService = ReturnType<typeof createBudgetPoliciesService>
