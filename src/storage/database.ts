import type { Kysely, Transaction } from 'kysely'
import type { AdminTables } from '../admins/admins.table.js'
import type { AuditTables } from '../audit/audit.table.js'
import type { LedgerTables } from '../billing/ledger.table.js'
import type { CacheInvalidationsTable } from '../invalidation/cache-invalidations.table.js'
import type { ApiKeysTable } from '../keys/keys.table.js'
import type { OrganizationsTable } from '../organizations/organizations.table.js'
import type { ProviderAccountsTable } from '../provider-accounts/provider-accounts.table.js'
import type { RoutePoliciesTable } from '../routing/route-policies.table.js'
import type { PriceTablesTable } from '../pricing/price-tables.table.js'
import type { BudgetTables } from '../budgets/budget-policies.table.js'
import type { MonthTotalsTables } from '../budgets/month-totals.table.js'
import type { SettingsTable } from './settings.table.js'
import type { UsageTables } from '../usage/usage.table.js'
import type { OutboxTables } from '../outbox/outbox.table.js'
import type { RequestLogTables } from '../request-logs/request-logs.table.js'
import type { JobLeasesTable } from '../jobs/job-leases.table.js'

/** Every table Ferry has, by name. Each domain adds its `*.table.ts` here. */
export interface Database
  extends
    AuditTables,
    AdminTables,
    LedgerTables,
    BudgetTables,
    MonthTotalsTables,
    UsageTables,
    OutboxTables,
    RequestLogTables {
  settings: SettingsTable
  organizations: OrganizationsTable
  api_keys: ApiKeysTable
  cache_invalidations: CacheInvalidationsTable
  provider_accounts: ProviderAccountsTable
  route_policies: RoutePoliciesTable
  price_tables: PriceTablesTable
  job_leases: JobLeasesTable
}

export const DIALECTS = ['sqlite', 'postgres'] as const
export type Dialect = (typeof DIALECTS)[number]

/** A database handle or a transaction: repositories accept either. */
export type Db = Kysely<Database>
export type Tx = Transaction<Database>

/** A database that Ferry opened, with what it needs to know about it and how to close it. */
export interface DatabaseHandle {
  readonly db: Db
  readonly dialect: Dialect
  /** Where it lives, without credentials: a file path or host/database. */
  readonly location: string
  close(): Promise<void>
}
