import { sql, type Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { RoutePolicyVersion } from './compile-policy.js'
import type { RoutePolicyDocument, RoutePolicyScope } from './route-policy.js'
import type { RoutePoliciesTable } from './route-policies.table.js'

export type RoutePolicyRow = Selectable<RoutePoliciesTable>

export function rowToRoutePolicy(row: RoutePolicyRow): RoutePolicyVersion {
  return {
    routePolicyId: row.route_policy_id,
    version: Number(row.version),
    scope: row.scope as RoutePolicyScope,
    contentHash: row.content_hash,
    policy: JSON.parse(row.policy_json) as RoutePolicyDocument,
    source: row.source as RoutePolicyVersion['source'],
    rolledBackFromVersion:
      row.rolled_back_from_version === null ? null : Number(row.rolled_back_from_version),
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}

export async function insertRoutePolicy(db: Db, row: RoutePolicyRow): Promise<void> {
  await db.insertInto('route_policies').values(row).execute()
}

/** The next version number. Call inside the audited transaction (it holds the write lock). */
export async function nextRoutePolicyVersion(db: Db): Promise<bigint> {
  const row = await db
    .selectFrom('route_policies')
    .select(sql<bigint | null>`max(version)`.as('max'))
    .executeTakeFirst()
  const max = row?.max
  return max === null || max === undefined ? 1n : BigInt(max) + 1n
}

export function findRoutePolicyByVersion(
  db: Db,
  version: number,
): Promise<RoutePolicyRow | undefined> {
  return db
    .selectFrom('route_policies')
    .selectAll()
    .where('version', '=', BigInt(version))
    .executeTakeFirst()
}

/** The current (highest) version of one scope. */
export function findCurrentRoutePolicy(
  db: Db,
  scope: RoutePolicyScope,
): Promise<RoutePolicyRow | undefined> {
  return db
    .selectFrom('route_policies')
    .selectAll()
    .where('scope', '=', scope)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** The latest version of a scope that came from the config file. */
export function findLatestConfigPolicy(
  db: Db,
  scope: RoutePolicyScope,
): Promise<RoutePolicyRow | undefined> {
  return db
    .selectFrom('route_policies')
    .selectAll()
    .where('scope', '=', scope)
    .where('source', '=', 'config')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** The current version of every scope (one row per scope). A small table: few scopes. */
export function findCurrentRoutePolicies(db: Db): Promise<RoutePolicyRow[]> {
  return db
    .selectFrom('route_policies')
    .selectAll()
    .where('version', 'in', (qb) =>
      qb
        .selectFrom('route_policies')
        .select(sql<bigint>`max(version)`.as('v'))
        .groupBy('scope'),
    )
    .orderBy('version')
    .execute()
}

/** Versions newest first, optionally of one scope, below `beforeVersion`. */
export function findRoutePolicies(
  db: Db,
  filters: { scope?: RoutePolicyScope; beforeVersion?: number; limit: number },
): Promise<RoutePolicyRow[]> {
  let query = db.selectFrom('route_policies').selectAll()
  if (filters.scope !== undefined) query = query.where('scope', '=', filters.scope)
  if (filters.beforeVersion !== undefined)
    query = query.where('version', '<', BigInt(filters.beforeVersion))
  return query.orderBy('version', 'desc').limit(filters.limit).execute()
}
