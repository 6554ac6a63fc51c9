import type { Selectable } from 'kysely'
import { canonicalJson } from '../audit/index.js'
import type { RateLimits } from '../organizations/organization.js'
import type { Db } from '../storage/index.js'
import type { ApiKey, KeyScopes, KeyStatus } from './api-key.js'
import type { KeyEnvironment } from './key-secret.js'
import type { ApiKeysTable } from './keys.table.js'

export type ApiKeyRow = Selectable<ApiKeysTable>

export function rowToApiKey(row: ApiKeyRow): ApiKey {
  return {
    keyId: row.key_id,
    organizationId: row.organization_id,
    name: row.name,
    label: row.label,
    environment: row.environment as KeyEnvironment,
    status: row.status as KeyStatus,
    scopes: JSON.parse(row.scopes_json) as KeyScopes,
    rateLimits: row.rate_limits_json ? (JSON.parse(row.rate_limits_json) as RateLimits) : {},
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastRotatedAt: row.last_rotated_at,
    graceEndsAt: row.previous_secret_hash ? row.previous_hash_expires_at : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function scopesToJson(scopes: KeyScopes): string {
  return canonicalJson(scopes)
}

export function rateLimitsToJson(limits: RateLimits): string | null {
  return Object.keys(limits).length === 0 ? null : canonicalJson(limits)
}

export async function insertApiKey(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute()
}

export async function findApiKeyRow(db: Db, keyId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst()
}

export async function updateApiKeyRow(
  db: Db,
  change: {
    keyId: string
    set: Partial<Omit<ApiKeyRow, 'key_id' | 'organization_id' | 'created_at'>>
  },
): Promise<void> {
  await db.updateTable('api_keys').set(change.set).where('key_id', '=', change.keyId).execute()
}

export async function findApiKeysOfOrganization(
  db: Db,
  filters: { organizationId: string; status?: KeyStatus; afterId?: string; limit: number },
): Promise<ApiKey[]> {
  let query = db
    .selectFrom('api_keys')
    .selectAll()
    .where('organization_id', '=', filters.organizationId)
  if (filters.status) query = query.where('status', '=', filters.status)
  if (filters.afterId) query = query.where('key_id', '>', filters.afterId)
  const rows = await query.orderBy('key_id').limit(filters.limit).execute()
  return rows.map(rowToApiKey)
}

/** What authentication needs in one round trip: the key and its organization's state. */
export async function findKeyForAuthentication(db: Db, keyId: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('organizations', 'organizations.organization_id', 'api_keys.organization_id')
    .leftJoin(
      'request_log_settings',
      'request_log_settings.organization_id',
      'api_keys.organization_id',
    )
    .selectAll('api_keys')
    .select([
      'organizations.status as organization_status',
      'organizations.rate_limits_json as organization_rate_limits_json',
      'request_log_settings.capture_enabled as request_log_capture_enabled',
    ])
    .where('api_keys.key_id', '=', keyId)
    .executeTakeFirst()
}
