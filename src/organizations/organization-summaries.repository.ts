import { sql } from 'kysely'
import type { Db } from '../storage/index.js'
import {
  organizationFilter,
  type OrganizationFilters,
  type OrganizationRow,
} from './organizations.repository.js'

/** One organization of a listing with what its overview needs, read in the same query. */
export interface OrganizationSummaryRow extends OrganizationRow {
  live_balance_micros: bigint | string | number | null
  test_balance_micros: bigint | string | number | null
  live_spend_micros: bigint | string | number
  test_spend_micros: bigint | string | number
  month_tokens: bigint | string | number
  budget_policy_id: string | null
  budget_version: bigint | string | number | null
  budget_content_json: string | null
}

/**
 * A page of organizations with their prepaid balances, this month's spend per environment and
 * tokens, and the organization-level budget policy in force: ONE query for the whole page
 * (correlated subqueries over indexed columns), never one per row.
 */
export async function findOrganizationSummaryRows(
  db: Db,
  filters: OrganizationFilters & { limit: number; monthFrom: string; monthTo: string },
): Promise<OrganizationSummaryRow[]> {
  const { monthFrom, monthTo } = filters
  const rows = await db
    .selectFrom('organizations')
    .selectAll('organizations')
    .select((eb) => {
      const balance = (environment: 'live' | 'test') =>
        eb
          .selectFrom('ledger_accounts')
          .select('ledger_accounts.balance_micros')
          .whereRef('ledger_accounts.organization_id', '=', 'organizations.organization_id')
          .where('ledger_accounts.environment', '=', environment)
          .limit(1)
      const spend = (environment: 'live' | 'test') =>
        eb
          .selectFrom('usage_events')
          .select(sql<bigint>`cast(coalesce(sum(usage_events.cost_micros), 0) as bigint)`.as('s'))
          .whereRef('usage_events.organization_id', '=', 'organizations.organization_id')
          .where('usage_events.created_at', '>=', monthFrom)
          .where('usage_events.created_at', '<', monthTo)
          .where('usage_events.environment', '=', environment)
      const policy = () =>
        eb
          .selectFrom('budget_policies')
          .whereRef('budget_policies.organization_id', '=', 'organizations.organization_id')
          .where('budget_policies.key_id', 'is', null)
          .orderBy('budget_policies.version', 'desc')
          .limit(1)
      return [
        balance('live').as('live_balance_micros'),
        balance('test').as('test_balance_micros'),
        spend('live').as('live_spend_micros'),
        spend('test').as('test_spend_micros'),
        eb
          .selectFrom('usage_events')
          .select(
            sql<bigint>`cast(coalesce(sum(usage_events.prompt_tokens + usage_events.completion_tokens), 0) as bigint)`.as(
              't',
            ),
          )
          .whereRef('usage_events.organization_id', '=', 'organizations.organization_id')
          .where('usage_events.created_at', '>=', monthFrom)
          .where('usage_events.created_at', '<', monthTo)
          .as('month_tokens'),
        policy().select('budget_policies.budget_policy_id').as('budget_policy_id'),
        policy().select('budget_policies.version').as('budget_version'),
        policy().select('budget_policies.content_json').as('budget_content_json'),
      ]
    })
    .where(organizationFilter(filters))
    .orderBy('organizations.organization_id', 'desc')
    .limit(filters.limit)
    .execute()
  return rows as OrganizationSummaryRow[]
}
