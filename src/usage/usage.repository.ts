import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely'
import { insertRows, type Database, type Db } from '../storage/index.js'
import { rowToUsageEvent, type UsageEvent } from './usage-event.js'
import type {
  ScopeUsage,
  UsageAggregate,
  UsageCursor,
  UsageFilter,
  UsageGrouping,
  UsageTotals,
} from './usage-query.js'
import type { UsageEventsTable } from './usage.table.js'

/** Insert usage rows (inside the settlement's transaction). */
export async function insertUsageEvents(db: Db, rows: readonly UsageEventsTable[]): Promise<void> {
  // SQLite allows 32,766 bound variables per statement; 44 columns a row keeps a chunk of 200
  // well under it (PostgreSQL's limit, 65,535, is higher).
  await insertRows(db, { into: 'usage_events', rows, maxRowsPerStatement: 200 })
}

/**
 * Usage rows with `refunded_micros`: the refunds that cite each request's settlement entry, read
 * from the ledger (a correlated lookup on ledger_entries_request, so a page costs one index probe
 * a row). Matching the entry too keeps a client's reused request ID from counting a refund twice.
 */
export function selectUsageEvents(db: Db) {
  return db
    .selectFrom('usage_events as u')
    .selectAll('u')
    .select(
      sql<bigint>`cast(coalesce((select sum(le.amount_micros) from ledger_entries le
        where le.request_id = u.request_id and le.original_entry_id = u.ledger_entry_id
          and le.kind = 'refund'), 0) as bigint)`.as('refunded_micros'),
    )
}

/** Every usage event recorded under a request ID (one, unless a client reused its own ID). */
export async function findUsageEventsOfRequest(db: Db, requestId: string): Promise<UsageEvent[]> {
  const rows = await selectUsageEvents(db)
    .where('u.request_id', '=', requestId)
    .orderBy('u.created_at')
    .orderBy('u.usage_id')
    .execute()
  return rows.map(rowToUsageEvent)
}

type UsageEb = ExpressionBuilder<Database & { u: UsageEventsTable }, 'u'>

/** The filter as SQL conditions on `u` (ANDed; none for an empty filter). */
function filterConditions(eb: UsageEb, filter: UsageFilter): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = []
  const equal = {
    organizationId: 'u.organization_id',
    keyId: 'u.key_id',
    environment: 'u.environment',
    endpoint: 'u.endpoint',
    modelRequested: 'u.model_requested',
    modelServed: 'u.model_served',
    provider: 'u.provider',
    settlementOutcome: 'u.settlement_outcome',
    requestId: 'u.request_id',
  } as const
  for (const [field, column] of Object.entries(equal) as [keyof typeof equal, string][]) {
    const value = filter[field]
    if (value !== undefined) out.push(eb(eb.ref(column as 'u.key_id'), '=', value))
  }
  if (filter.httpStatus !== undefined) out.push(eb('u.http_status', '=', filter.httpStatus))
  if (filter.httpStatusClass !== undefined) {
    const low = Number(filter.httpStatusClass[0]) * 100
    out.push(eb('u.http_status', '>=', low), eb('u.http_status', '<', low + 100))
  }
  if (filter.from !== undefined) out.push(eb('u.created_at', '>=', filter.from))
  if (filter.to !== undefined) out.push(eb('u.created_at', '<', filter.to))
  return out
}

/**
 * One page of usage events in (created_at, usage_id) order — newest first unless `order` is
 * 'asc' — after `after`. Fetch `limit + 1` to learn whether more exist (toListPage).
 */
export async function findUsageEventsPage(
  db: Db,
  query: { filter: UsageFilter; after?: UsageCursor; limit: number; order?: 'asc' | 'desc' },
): Promise<UsageEvent[]> {
  const order = query.order ?? 'desc'
  const after = query.after
  const rows = await selectUsageEvents(db)
    .where((eb) => eb.and(filterConditions(eb, query.filter)))
    .$if(after !== undefined, (qb) =>
      qb.where((eb) => {
        const op = order === 'asc' ? '>' : '<'
        return eb.or([
          eb('u.created_at', op, after!.createdAt),
          eb.and([eb('u.created_at', '=', after!.createdAt), eb('u.usage_id', op, after!.usageId)]),
        ])
      }),
    )
    .orderBy('u.created_at', order)
    .orderBy('u.usage_id', order)
    .limit(query.limit)
    .execute()
  return rows.map(rowToUsageEvent)
}

/**
 * Every usage event the filter covers, oldest first, read in pages of `pageSize` by keyset:
 * memory stays constant whatever the number of rows (the CSV export).
 */
export async function* iterateUsageEvents(
  db: Db,
  query: { filter: UsageFilter; pageSize?: number },
): AsyncGenerator<UsageEvent> {
  const pageSize = query.pageSize ?? 1000
  let after: UsageCursor | undefined
  for (;;) {
    const page = await findUsageEventsPage(db, {
      filter: query.filter,
      limit: pageSize,
      order: 'asc',
      ...(after ? { after } : {}),
    })
    yield* page
    const last = page[page.length - 1]
    if (page.length < pageSize || last === undefined) return
    after = { createdAt: last.createdAt, usageId: last.usageId }
  }
}

// PostgreSQL answers SUM(bigint) as numeric and COUNT as int8; the casts make both dialects
// return bigint (SQLite with safe integers already does), so sums stay exact.
const SUMS = [
  sql<bigint>`cast(count(*) as bigint)`.as('requests'),
  sql<bigint>`cast(coalesce(sum(e.prompt_tokens), 0) as bigint)`.as('prompt_tokens'),
  sql<bigint>`cast(coalesce(sum(e.cached_tokens), 0) as bigint)`.as('cached_tokens'),
  sql<bigint>`cast(coalesce(sum(e.completion_tokens), 0) as bigint)`.as('completion_tokens'),
  sql<bigint>`cast(coalesce(sum(e.reasoning_tokens), 0) as bigint)`.as('reasoning_tokens'),
  sql<bigint>`cast(coalesce(sum(e.cost_micros), 0) as bigint)`.as('cost_micros'),
  sql<bigint>`cast(coalesce(sum(e.refunded_micros), 0) as bigint)`.as('refunded_micros'),
  sql<bigint>`cast(coalesce(sum(e.waived_micros), 0) as bigint)`.as('waived_micros'),
] as const

interface SumsRow {
  requests: bigint
  prompt_tokens: bigint
  cached_tokens: bigint
  completion_tokens: bigint
  reasoning_tokens: bigint
  cost_micros: bigint
  refunded_micros: bigint
  waived_micros: bigint
}

function rowToTotals(row: SumsRow): UsageTotals {
  return {
    requests: BigInt(row.requests),
    promptTokens: BigInt(row.prompt_tokens),
    cachedTokens: BigInt(row.cached_tokens),
    completionTokens: BigInt(row.completion_tokens),
    reasoningTokens: BigInt(row.reasoning_tokens),
    costMicros: BigInt(row.cost_micros),
    refundedMicros: BigInt(row.refunded_micros),
    waivedMicros: BigInt(row.waived_micros),
  }
}

/** The filtered events with their refunds, as a derived table `e` to aggregate over. */
function filteredEvents(db: Db, filter: UsageFilter) {
  return db.selectFrom(
    selectUsageEvents(db)
      .where((eb) => eb.and(filterConditions(eb, filter)))
      .as('e'),
  )
}

/** Sums over every event the filter covers (zeros for none). */
export async function sumUsageEvents(db: Db, filter: UsageFilter): Promise<UsageTotals> {
  const row = await filteredEvents(db, filter).select(SUMS).executeTakeFirstOrThrow()
  return rowToTotals(row)
}

/** Sums per group (day, served model, requested → served pair, or key), in group order. */
export async function aggregateUsageEvents(
  db: Db,
  query: { filter: UsageFilter; groupBy: UsageGrouping },
): Promise<UsageAggregate[]> {
  const base = filteredEvents(db, query.filter)
  const rows = await (() => {
    switch (query.groupBy) {
      case 'day':
        return base
          .select(sql<string>`substr(e.created_at, 1, 10)`.as('day'))
          .select(SUMS)
          .groupBy(sql`substr(e.created_at, 1, 10)`)
          .execute()
      case 'model':
        return base.select('e.model_served').select(SUMS).groupBy('e.model_served').execute()
      case 'model_pair':
        return base
          .select(['e.model_requested', 'e.model_served'])
          .select(SUMS)
          .groupBy(['e.model_requested', 'e.model_served'])
          .execute()
      case 'key':
        return base
          .select('e.key_id')
          .select(sql<string>`max(e.key_label)`.as('key_label'))
          .select(SUMS)
          .groupBy('e.key_id')
          .execute()
    }
  })()
  const groups = rows.map((row) => {
    const r = row as SumsRow & {
      day?: string
      model_served?: string | null
      model_requested?: string | null
      key_id?: string
      key_label?: string
    }
    return {
      day: r.day ?? null,
      modelServed: r.model_served ?? null,
      modelRequested: r.model_requested ?? null,
      keyId: r.key_id ?? null,
      keyLabel: r.key_label ?? null,
      ...rowToTotals(r),
    }
  })
  // Sorted here, not in SQL: the dialects order NULLs differently.
  const sortKey = (g: UsageAggregate) =>
    [g.day, g.keyId, g.modelRequested, g.modelServed].map((v) => v ?? '').join('\u0000')
  return groups.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
}

/**
 * Spend and tokens (prompt + completion) per budget scope — `org:<id>` and `key:<id>` — over
 * [from, to) of created_at: what monthly caps count, seeded at start from what is stored.
 */
export async function sumUsageByScope(
  db: Db,
  period: { from: string; to: string },
): Promise<ScopeUsage[]> {
  const rows = await db
    .selectFrom('usage_events')
    .select([
      'organization_id',
      'key_id',
      sql<bigint>`cast(coalesce(sum(prompt_tokens + completion_tokens), 0) as bigint)`.as('tokens'),
      sql<bigint>`cast(coalesce(sum(cost_micros), 0) as bigint)`.as('spend_micros'),
    ])
    .where('created_at', '>=', period.from)
    .where('created_at', '<', period.to)
    .groupBy(['organization_id', 'key_id'])
    .execute()
  const byScope = new Map<string, ScopeUsage>()
  for (const row of rows) {
    for (const scope of [`org:${row.organization_id}`, `key:${row.key_id}`]) {
      const was = byScope.get(scope) ?? { scope, tokens: 0n, spendMicros: 0n }
      byScope.set(scope, {
        scope,
        tokens: was.tokens + BigInt(row.tokens),
        spendMicros: was.spendMicros + BigInt(row.spend_micros),
      })
    }
  }
  return [...byScope.values()]
}
