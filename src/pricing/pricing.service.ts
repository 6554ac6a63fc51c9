import { createHash } from 'node:crypto'
import { canonicalJson, type AuditContext, type AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { OrganizationNotFoundError, findOrganizationById } from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import {
  DuplicatePriceRowError,
  MissingPricesError,
  PriceTableNotFoundError,
} from './pricing-errors.js'
import {
  duplicatePriceRows,
  findPriceRow,
  findUnpricedTargets,
  parsePriceTableContent,
  priceRowKey,
  priceRowToJson,
  priceTableContentToJson,
  type PriceRow,
  type PriceTableContent,
  type PriceTarget,
} from './price-table.js'
import {
  PLATFORM_SCOPE,
  findCurrentPriceTableRows,
  findLatestPriceTableRow,
  findPriceTableRow,
  findPriceTableRows,
  insertPriceTableRow,
  type PriceTableRow,
} from './price-tables.repository.js'
import { compilePriceTable, type CompiledPriceTable, type PriceSnapshot } from './resolve-price.js'

/** One published version of the base price table or of an organization's override. */
export interface PriceTableVersion {
  priceTableId: string
  scope: 'platform' | 'organization'
  /** Null for the platform table. */
  organizationId: string | null
  version: number
  contentHash: string
  content: PriceTableContent
  note: string | null
  createdBy: string
  createdAt: string
}

/** A served model and whether the base table in force prices it. */
export interface PriceCoverage {
  priceTableVersion: number | null
  models: { target: PriceTarget; priced: boolean; free: boolean }[]
}

export interface PricingServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
  /**
   * Every (provider account, upstream model) served right now. A base table publish must price
   * each of them. Prefix patterns of provider accounts cannot be listed and are not checked.
   */
  servedModels: () => readonly PriceTarget[]
  /** Awaited after each committed change (the price book's reload). */
  afterChange?: () => Promise<void>
}

export const PRICE_TABLE_ID_PREFIX = 'prt'

function rowToVersion(row: PriceTableRow): PriceTableVersion {
  return {
    priceTableId: row.price_table_id,
    scope: row.scope === PLATFORM_SCOPE ? 'platform' : 'organization',
    organizationId: row.organization_id,
    version: Number(row.version),
    contentHash: row.content_hash,
    content: parsePriceTableContent(row.content_json),
    note: row.note,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}

const MAX_LISTED_CHANGES = 100

/** Which rows a new version adds, removes or changes, by key (for the audit event). */
function rowChanges(before: readonly PriceRow[], after: readonly PriceRow[]) {
  const encode = (row: PriceRow) => canonicalJson(priceRowToJson(row))
  const old = new Map(before.map((row) => [priceRowKey(row), encode(row)]))
  const next = new Map(after.map((row) => [priceRowKey(row), encode(row)]))
  const added = [...next.keys()].filter((key) => !old.has(key))
  const removed = [...old.keys()].filter((key) => !next.has(key))
  const changed = [...next.keys()].filter((key) => old.has(key) && old.get(key) !== next.get(key))
  return {
    added: added.slice(0, MAX_LISTED_CHANGES),
    removed: removed.slice(0, MAX_LISTED_CHANGES),
    changed: changed.slice(0, MAX_LISTED_CHANGES),
    counts: { added: added.length, removed: removed.length, changed: changed.length },
  }
}

function summaryOf(version: PriceTableVersion | undefined) {
  if (version === undefined) return null
  return {
    version: version.version,
    contentHash: version.contentHash,
    scope: version.scope,
    organizationId: version.organizationId,
    summary: { rows: version.content.rows.length, markupBps: version.content.markupBps },
  }
}

/**
 * Price tables: the base table (platform) and per-organization overrides, each a series of
 * immutable versions. Publishing is an audited action (`price_table.publish`) and makes the new
 * version the one in force at once on this instance (and on others through the invalidation).
 */
export function createPricingService(deps: PricingServiceDeps) {
  const { db, auditLog, clock } = deps

  async function publishVersion(
    context: AuditContext,
    options: {
      organizationId: string | null
      content: PriceTableContent
      note: string | null
      check?: (tx: Db) => Promise<void>
    },
  ): Promise<PriceTableVersion> {
    const duplicates = duplicatePriceRows(options.content.rows)
    if (duplicates.length > 0) throw new DuplicatePriceRowError(duplicates)
    const scope = options.organizationId ?? PLATFORM_SCOPE
    const contentJson = canonicalJson(priceTableContentToJson(options.content))
    const published = await publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, 'price_table.publish', async (tx) => {
        await options.check?.(tx)
        const previousRow = await findLatestPriceTableRow(tx, scope)
        const previous = previousRow ? rowToVersion(previousRow) : undefined
        const nowMs = clock.nowMs()
        const row: PriceTableRow = {
          price_table_id: newId(PRICE_TABLE_ID_PREFIX, nowMs),
          scope,
          organization_id: options.organizationId,
          version: (previousRow?.version ?? 0n) + 1n,
          content_json: contentJson,
          content_hash: createHash('sha256').update(contentJson).digest('hex'),
          note: options.note,
          created_by: context.actor.id,
          created_at: toIsoTimestamp(nowMs),
        }
        await insertPriceTableRow(tx, row)
        invalidate({ kind: 'price-table', id: scope })
        const version = rowToVersion(row)
        return {
          result: version,
          event: {
            organizationId: options.organizationId,
            target: {
              type: 'price_table',
              id: version.priceTableId,
              label: `${scope} v${version.version}`,
            },
            before: summaryOf(previous),
            after: {
              ...summaryOf(version),
              note: version.note,
              changes: rowChanges(previous?.content.rows ?? [], version.content.rows),
            },
            policyVersion: String(version.version),
          },
        }
      }),
    )
    await deps.afterChange?.()
    return published
  }

  async function mustFindVersion(organizationId: string | null, version: number) {
    const row = await findPriceTableRow(db, {
      scope: organizationId ?? PLATFORM_SCOPE,
      version,
    })
    if (!row)
      throw new PriceTableNotFoundError(
        organizationId === null
          ? `version ${version}`
          : `override version ${version} for organization '${organizationId}'`,
      )
    return rowToVersion(row)
  }

  return {
    /** Versions newest first: the platform table (organizationId null) or one override. */
    listVersions: async (options: {
      organizationId: string | null
      limit: number
      beforeVersion?: number
    }): Promise<PriceTableVersion[]> =>
      (
        await findPriceTableRows(db, {
          scope: options.organizationId ?? PLATFORM_SCOPE,
          limit: options.limit,
          ...(options.beforeVersion !== undefined ? { beforeVersion: options.beforeVersion } : {}),
        })
      ).map(rowToVersion),

    getVersion: (where: { organizationId: string | null; version: number }) =>
      mustFindVersion(where.organizationId, where.version),

    /** The version in force, or null when none was ever published. */
    getCurrent: async (organizationId: string | null): Promise<PriceTableVersion | null> => {
      const row = await findLatestPriceTableRow(db, organizationId ?? PLATFORM_SCOPE)
      return row ? rowToVersion(row) : null
    },

    /**
     * Publish a new base table. Refused (400 `price_missing`, naming every model) when a
     * served model has no row: a missing price is a configuration error, never a silent zero.
     */
    publish: (
      context: AuditContext,
      input: { rows: readonly PriceRow[]; note?: string | null },
    ): Promise<PriceTableVersion> => {
      const missing = findUnpricedTargets(input.rows, deps.servedModels())
      if (missing.length > 0) throw new MissingPricesError(missing)
      return publishVersion(context, {
        organizationId: null,
        content: { rows: input.rows, markupBps: 0 },
        note: input.note ?? null,
      })
    },

    /** Publish a new version of an organization's override: its own rows and/or a markup. */
    publishOverride: (
      context: AuditContext,
      input: {
        organizationId: string
        rows: readonly PriceRow[]
        markupBps: number
        note?: string | null
      },
    ): Promise<PriceTableVersion> =>
      publishVersion(context, {
        organizationId: input.organizationId,
        content: { rows: input.rows, markupBps: input.markupBps },
        note: input.note ?? null,
        check: async (tx) => {
          if (!(await findOrganizationById(tx, input.organizationId)))
            throw new OrganizationNotFoundError(input.organizationId)
        },
      }),

    /** Every served model and whether the base table in force prices it (free counts). */
    coverage: async (): Promise<PriceCoverage> => {
      const current = await findLatestPriceTableRow(db, PLATFORM_SCOPE)
      const compiled = current ? compilePriceTable(rowToVersion(current)) : null
      return {
        priceTableVersion: compiled?.version ?? null,
        models: deps.servedModels().map((target) => {
          const row = compiled ? findPriceRow(compiled.orderedRows, target) : undefined
          return { target, priced: row !== undefined, free: row?.free ?? false }
        }),
      }
    },

    /** The versions in force, compiled for lookups (the price book's load). */
    loadSnapshot: async (): Promise<PriceSnapshot> => {
      let base: CompiledPriceTable | null = null
      const overrides = new Map<string, CompiledPriceTable>()
      for (const row of await findCurrentPriceTableRows(db)) {
        const compiled = compilePriceTable(rowToVersion(row))
        if (row.scope === PLATFORM_SCOPE) base = compiled
        else overrides.set(row.scope, compiled)
      }
      return { base, overrides }
    },
  }
}

export type PricingService = ReturnType<typeof createPricingService>
