import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely'
import type { Database, Db } from '../storage/index.js'
import type { Organization, OrganizationStatus, RateLimits } from './organization.js'
import type { OrganizationsTable } from './organizations.table.js'

export type OrganizationRow = Selectable<OrganizationsTable>

export function rowToOrganization(row: OrganizationRow): Organization {
  return {
    organizationId: row.organization_id,
    name: row.name,
    status: row.status as OrganizationStatus,
    externalId: row.external_id,
    metadata: row.metadata_json ? (JSON.parse(row.metadata_json) as Record<string, string>) : {},
    rateLimits: row.rate_limits_json ? (JSON.parse(row.rate_limits_json) as RateLimits) : {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertOrganization(db: Db, row: OrganizationRow): Promise<void> {
  await db.insertInto('organizations').values(row).execute()
}

export async function findOrganizationById(
  db: Db,
  organizationId: string,
): Promise<Organization | undefined> {
  const row = await db
    .selectFrom('organizations')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  return row ? rowToOrganization(row) : undefined
}

export async function findOrganizationByExternalId(
  db: Db,
  externalId: string,
): Promise<Organization | undefined> {
  const row = await db
    .selectFrom('organizations')
    .selectAll()
    .where('external_id', '=', externalId)
    .executeTakeFirst()
  return row ? rowToOrganization(row) : undefined
}

export async function updateOrganizationRow(
  db: Db,
  change: {
    organizationId: string
    set: Partial<Omit<OrganizationRow, 'organization_id' | 'created_at'>>
  },
): Promise<void> {
  await db
    .updateTable('organizations')
    .set(change.set)
    .where('organization_id', '=', change.organizationId)
    .execute()
}

/** What a listing of organizations may filter by; pages are keyset by ID, newest first. */
export interface OrganizationFilters {
  search?: string
  status?: OrganizationStatus
  afterId?: string
}

/** The WHERE of a listing: `search` matches name or external ID (or is the ID). */
export function organizationFilter(filters: OrganizationFilters) {
  return (eb: ExpressionBuilder<Database, 'organizations'>): Expression<SqlBool> => {
    const all: Expression<SqlBool>[] = []
    if (filters.search) {
      const pattern = `%${filters.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      // ESCAPE names the backslash explicitly: PostgreSQL assumes it, SQLite has no default, and
      // without it a search for `%` or `_` found nothing on SQLite (issue 11's fuzz suite).
      const contains = (column: 'organizations.name' | 'organizations.external_id') =>
        sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`
      all.push(
        eb.or([
          contains('organizations.name'),
          contains('organizations.external_id'),
          eb('organizations.organization_id', '=', filters.search),
        ]),
      )
    }
    if (filters.status) all.push(eb('organizations.status', '=', filters.status))
    if (filters.afterId) all.push(eb('organizations.organization_id', '<', filters.afterId))
    return eb.and(all)
  }
}

/** Newest first, keyset-paginated by ID (IDs are time-ordered); `search` matches name or external ID. */
export async function findOrganizations(
  db: Db,
  filters: OrganizationFilters & { limit: number },
): Promise<Organization[]> {
  const rows = await db
    .selectFrom('organizations')
    .selectAll()
    .where(organizationFilter(filters))
    .orderBy('organization_id', 'desc')
    .limit(filters.limit)
    .execute()
  return rows.map(rowToOrganization)
}
