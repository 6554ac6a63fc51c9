import { sql } from 'kysely'
import type { Db } from '../storage/index.js'
import type { BudgetReservationsTable } from './month-totals.table.js'

/** `org:…` counts an organization's usage, `key:…` one key's (as the in-process totals do). */
function scopeFilter(scope: string): { column: 'organization_id' | 'key_id'; id: string } {
  if (scope.startsWith('org:')) return { column: 'organization_id', id: scope.slice(4) }
  if (scope.startsWith('key:')) return { column: 'key_id', id: scope.slice(4) }
  throw new RangeError(`not a budget scope: ${scope}`)
}

/**
 * Create the scope's row for `month` from the usage events stored for it, unless it exists.
 * Run in its own statement (not inside a hold's transaction): a concurrent insert of the same
 * row then waits only for that statement.
 */
export async function ensureMonthTotalsRow(
  db: Db,
  row: { scope: string; month: string; from: string; to: string },
): Promise<void> {
  const { column, id } = scopeFilter(row.scope)
  await db
    .insertInto('budget_month_totals')
    .columns([
      'scope',
      'month',
      'spend_micros',
      'tokens',
      'reserved_spend_micros',
      'reserved_tokens',
    ])
    .expression(
      db
        .selectFrom('usage_events')
        .select([
          sql<string>`${row.scope}`.as('scope'),
          sql<string>`${row.month}`.as('month'),
          sql<bigint>`cast(coalesce(sum(cost_micros), 0) as bigint)`.as('spend_micros'),
          sql<bigint>`cast(coalesce(sum(prompt_tokens + completion_tokens), 0) as bigint)`.as(
            'tokens',
          ),
          sql<bigint>`cast(0 as bigint)`.as('reserved_spend_micros'),
          sql<bigint>`cast(0 as bigint)`.as('reserved_tokens'),
        ])
        .where(column, '=', id)
        .where('created_at', '>=', row.from)
        .where('created_at', '<', row.to),
    )
    .onConflict((oc) => oc.columns(['scope', 'month']).doNothing())
    .execute()
}

export function findMonthTotalsRows(db: Db, where: { month: string; scopes: readonly string[] }) {
  if (where.scopes.length === 0) return Promise.resolve([])
  return db
    .selectFrom('budget_month_totals')
    .selectAll()
    .where('month', '=', where.month)
    .where('scope', 'in', where.scopes)
    .execute()
}

/**
 * Add a reservation to a scope's month only if settled + reserved + it stays within each limit
 * given (null: none): one conditional UPDATE, so the check and the reservation are one step
 * against the latest committed row. False when a limit would be exceeded (or the row is missing).
 */
export async function reserveOnMonthTotals(
  db: Db,
  change: {
    scope: string
    month: string
    spendMicros: bigint
    tokens: bigint
    spendLimitMicros: bigint | null
    tokenLimit: bigint | null
  },
): Promise<boolean> {
  let query = db
    .updateTable('budget_month_totals')
    .set((eb) => ({
      reserved_spend_micros: eb('reserved_spend_micros', '+', change.spendMicros),
      reserved_tokens: eb('reserved_tokens', '+', change.tokens),
    }))
    .where('scope', '=', change.scope)
    .where('month', '=', change.month)
  if (change.spendLimitMicros !== null) {
    const limit = change.spendLimitMicros
    query = query.where((eb) =>
      eb(
        eb(eb('spend_micros', '+', eb.ref('reserved_spend_micros')), '+', change.spendMicros),
        '<=',
        limit,
      ),
    )
  }
  if (change.tokenLimit !== null) {
    const limit = change.tokenLimit
    query = query.where((eb) =>
      eb(eb(eb('tokens', '+', eb.ref('reserved_tokens')), '+', change.tokens), '<=', limit),
    )
  }
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/**
 * Apply settled usage (added) and released reservations (taken off) to a scope's month. Rows
 * that do not exist are left alone: a scope gets its row, seeded from the usage events, the
 * first time a request reserves on it.
 */
export interface MonthTotalsChange {
  scope: string
  month: string
  spendMicros: bigint
  tokens: bigint
  releasedSpendMicros: bigint
  releasedTokens: bigint
}

export async function applyToMonthTotals(db: Db, change: MonthTotalsChange): Promise<void> {
  await db
    .updateTable('budget_month_totals')
    .set((eb) => ({
      spend_micros: eb('spend_micros', '+', change.spendMicros),
      tokens: eb('tokens', '+', change.tokens),
      reserved_spend_micros: eb('reserved_spend_micros', '-', change.releasedSpendMicros),
      reserved_tokens: eb('reserved_tokens', '-', change.releasedTokens),
    }))
    .where('scope', '=', change.scope)
    .where('month', '=', change.month)
    .execute()
}

export async function insertReservationRow(db: Db, row: BudgetReservationsTable): Promise<void> {
  await db.insertInto('budget_reservations').values(row).execute()
}

/** Grow a reservation still stored (false: it was released or reaped meanwhile). */
export async function growReservationRow(
  db: Db,
  change: { reservationId: string; spendMicros: bigint; tokens: bigint; expiresAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('budget_reservations')
    .set((eb) => ({
      spend_micros: eb('spend_micros', '+', change.spendMicros),
      tokens: eb('tokens', '+', change.tokens),
      expires_at: change.expiresAt,
    }))
    .where('reservation_id', '=', change.reservationId)
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** Delete reservations (each at most once: only stored rows go); returns those deleted. */
export function deleteReservationRows(
  db: Db,
  reservationIds: readonly string[],
): Promise<BudgetReservationsTable[]> {
  if (reservationIds.length === 0) return Promise.resolve([])
  return db
    .deleteFrom('budget_reservations')
    .where('reservation_id', 'in', reservationIds)
    .returningAll()
    .execute()
}

export function findExpiredReservationIds(db: Db, options: { now: string; limit: number }) {
  return db
    .selectFrom('budget_reservations')
    .select('reservation_id')
    .where('expires_at', '<=', options.now)
    .orderBy('reservation_id')
    .limit(options.limit)
    .execute()
}
