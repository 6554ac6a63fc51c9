import type { Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { BudgetPoliciesTable, BudgetThresholdStatesTable } from './budget-policies.table.js'

export type BudgetPolicyRow = Selectable<BudgetPoliciesTable>
export type BudgetThresholdStateRow = Selectable<BudgetThresholdStatesTable>

export async function insertBudgetPolicyRow(db: Db, row: BudgetPolicyRow): Promise<void> {
  await db.insertInto('budget_policies').values(row).execute()
}

export function findLatestBudgetPolicyRow(
  db: Db,
  scope: string,
): Promise<BudgetPolicyRow | undefined> {
  return db
    .selectFrom('budget_policies')
    .selectAll()
    .where('scope', '=', scope)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export function findBudgetPolicyRow(
  db: Db,
  where: { scope: string; version: number },
): Promise<BudgetPolicyRow | undefined> {
  return db
    .selectFrom('budget_policies')
    .selectAll()
    .where('scope', '=', where.scope)
    .where('version', '=', BigInt(where.version))
    .executeTakeFirst()
}

/** Versions of one scope, newest first, below `beforeVersion` when given. */
export function findBudgetPolicyRows(
  db: Db,
  options: { scope: string; limit: number; beforeVersion?: number },
): Promise<BudgetPolicyRow[]> {
  let query = db.selectFrom('budget_policies').selectAll().where('scope', '=', options.scope)
  if (options.beforeVersion !== undefined)
    query = query.where('version', '<', BigInt(options.beforeVersion))
  return query.orderBy('version', 'desc').limit(options.limit).execute()
}

/** The version in force of every scope (run at reload only, never on the request path). */
export function findCurrentBudgetPolicyRows(db: Db): Promise<BudgetPolicyRow[]> {
  return db
    .selectFrom('budget_policies as p')
    .selectAll('p')
    .where((eb) =>
      eb(
        'p.version',
        '=',
        eb
          .selectFrom('budget_policies as q')
          .select(({ fn }) => fn.max('q.version').as('v'))
          .whereRef('q.scope', '=', 'p.scope'),
      ),
    )
    .execute()
}

export function findThresholdStateRows(
  db: Db,
  organizationId: string,
): Promise<BudgetThresholdStateRow[]> {
  return db
    .selectFrom('budget_threshold_states')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .execute()
}

/**
 * Move a threshold to `row.state` unless it is there already; true when this call moved it.
 * One statement (an upsert whose update is conditional), so two writers racing on the same
 * crossing cannot both win: in PostgreSQL the second waits for the first and then finds the
 * state already set; in SQLite writers are serialized.
 */
export async function moveThresholdState(db: Db, row: BudgetThresholdStateRow): Promise<boolean> {
  const moved = await db
    .insertInto('budget_threshold_states')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['organization_id', 'threshold'])
        .doUpdateSet({
          state: row.state,
          last_crossing_id: row.last_crossing_id,
          balance_micros: row.balance_micros,
          threshold_micros: row.threshold_micros,
          updated_at: row.updated_at,
        })
        .where('budget_threshold_states.state', '<>', row.state),
    )
    .returning('organization_id')
    .executeTakeFirst()
  return moved !== undefined
}

/** The organization a key belongs to, or undefined for an unknown key. */
export async function findKeyOrganizationId(db: Db, keyId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select('organization_id')
    .where('key_id', '=', keyId)
    .executeTakeFirst()
  return row?.organization_id
}
