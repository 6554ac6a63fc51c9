import type { Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { PriceTablesTable } from './price-tables.table.js'

export type PriceTableRow = Selectable<PriceTablesTable>

/** The scope of the base price table. */
export const PLATFORM_SCOPE = 'platform'

export async function insertPriceTableRow(db: Db, row: PriceTableRow): Promise<void> {
  await db.insertInto('price_tables').values(row).execute()
}

/** The newest version of one scope. */
export function findLatestPriceTableRow(db: Db, scope: string): Promise<PriceTableRow | undefined> {
  return db
    .selectFrom('price_tables')
    .selectAll()
    .where('scope', '=', scope)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export function findPriceTableRow(
  db: Db,
  where: { scope: string; version: number },
): Promise<PriceTableRow | undefined> {
  return db
    .selectFrom('price_tables')
    .selectAll()
    .where('scope', '=', where.scope)
    .where('version', '=', BigInt(where.version))
    .executeTakeFirst()
}

/** Versions of one scope, newest first, below `beforeVersion` when given. */
export function findPriceTableRows(
  db: Db,
  options: { scope: string; limit: number; beforeVersion?: number },
): Promise<PriceTableRow[]> {
  let query = db.selectFrom('price_tables').selectAll().where('scope', '=', options.scope)
  if (options.beforeVersion !== undefined)
    query = query.where('version', '<', BigInt(options.beforeVersion))
  return query.orderBy('version', 'desc').limit(options.limit).execute()
}

/**
 * The version in force of every scope (the base table and each override): one indexed pass,
 * run at reload only, never on the request path.
 */
export function findCurrentPriceTableRows(db: Db): Promise<PriceTableRow[]> {
  return db
    .selectFrom('price_tables as p')
    .selectAll('p')
    .where((eb) =>
      eb(
        'p.version',
        '=',
        eb
          .selectFrom('price_tables as q')
          .select(({ fn }) => fn.max('q.version').as('v'))
          .whereRef('q.scope', '=', 'p.scope'),
      ),
    )
    .execute()
}
