import type { Selectable } from 'kysely'
import { canonicalJson } from '../audit/index.js'
import type { ProviderKind, UpstreamTimeouts } from '../providers/index.js'
import type { Db } from '../storage/index.js'
import type {
  ProviderAccountFields,
  ProviderAccountInfo,
  ProviderAccountStatus,
} from './provider-account.js'
import type { ProviderAccountsTable } from './provider-accounts.table.js'

export type ProviderAccountRow = Selectable<ProviderAccountsTable>

interface ModelsColumn {
  models: string[]
  aliases: Record<string, string>
}

/** The row as the admin API may show it: the ciphertext stays behind. */
export function rowToProviderAccount(row: ProviderAccountRow): ProviderAccountInfo {
  const models = JSON.parse(row.models_json) as ModelsColumn
  return {
    providerAccountId: row.provider_account_id,
    name: row.name,
    kind: row.kind as ProviderKind,
    baseUrl: row.base_url,
    hasCredential: row.credential_ciphertext !== null,
    credentialLabel: row.credential_label,
    credentialEnv: null,
    extraHeaders: JSON.parse(row.extra_headers_json) as Record<string, string>,
    timeouts: JSON.parse(row.timeouts_json) as Partial<UpstreamTimeouts>,
    settings: JSON.parse(row.settings_json) as Record<string, unknown>,
    models: models.models,
    aliases: models.aliases,
    status: row.status as ProviderAccountStatus,
    source: 'database',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The columns that hold an account's editable fields. */
export function fieldsToColumns(
  fields: ProviderAccountFields,
): Pick<
  ProviderAccountRow,
  | 'name'
  | 'kind'
  | 'base_url'
  | 'extra_headers_json'
  | 'timeouts_json'
  | 'settings_json'
  | 'models_json'
  | 'status'
> {
  return {
    name: fields.name,
    kind: fields.kind,
    base_url: fields.baseUrl,
    extra_headers_json: canonicalJson(fields.extraHeaders),
    timeouts_json: canonicalJson(fields.timeouts),
    settings_json: canonicalJson(fields.settings),
    models_json: canonicalJson({ models: fields.models, aliases: fields.aliases }),
    status: fields.status,
  }
}

export async function insertProviderAccount(db: Db, row: ProviderAccountRow): Promise<void> {
  await db.insertInto('provider_accounts').values(row).execute()
}

export function findProviderAccountRow(
  db: Db,
  providerAccountId: string,
): Promise<ProviderAccountRow | undefined> {
  return db
    .selectFrom('provider_accounts')
    .selectAll()
    .where('provider_account_id', '=', providerAccountId)
    .executeTakeFirst()
}

export function findProviderAccountRowByName(
  db: Db,
  name: string,
): Promise<ProviderAccountRow | undefined> {
  return db.selectFrom('provider_accounts').selectAll().where('name', '=', name).executeTakeFirst()
}

/** Every stored account, oldest first (IDs are time-ordered). There are few of them. */
export function findProviderAccountRows(db: Db): Promise<ProviderAccountRow[]> {
  return db.selectFrom('provider_accounts').selectAll().orderBy('provider_account_id').execute()
}

export async function updateProviderAccountRow(
  db: Db,
  change: {
    providerAccountId: string
    set: Partial<Omit<ProviderAccountRow, 'provider_account_id' | 'created_at' | 'source'>>
  },
): Promise<void> {
  await db
    .updateTable('provider_accounts')
    .set(change.set)
    .where('provider_account_id', '=', change.providerAccountId)
    .execute()
}

export async function deleteProviderAccountRow(db: Db, providerAccountId: string): Promise<void> {
  await db
    .deleteFrom('provider_accounts')
    .where('provider_account_id', '=', providerAccountId)
    .execute()
}
