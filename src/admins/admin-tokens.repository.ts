import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { AdminTokensTable } from './admins.table.js'

export type AdminTokenRow = Selectable<AdminTokensTable>

export async function insertAdminToken(
  db: Db,
  row: Insertable<AdminTokensTable>,
): Promise<AdminTokenRow> {
  return db.insertInto('admin_tokens').values(row).returningAll().executeTakeFirstOrThrow()
}

export function findAdminToken(db: Db, tokenId: string): Promise<AdminTokenRow | undefined> {
  return db
    .selectFrom('admin_tokens')
    .selectAll()
    .where('token_id', '=', tokenId)
    .executeTakeFirst()
}

/** Tokens newest first, of one admin or of everyone. */
export function listAdminTokens(db: Db, options: { adminId?: string }): Promise<AdminTokenRow[]> {
  let query = db.selectFrom('admin_tokens').selectAll()
  if (options.adminId !== undefined) query = query.where('admin_id', '=', options.adminId)
  return query.orderBy('token_id', 'desc').execute()
}

export async function revokeAdminToken(
  db: Db,
  token: { tokenId: string; revokedAt: string },
): Promise<AdminTokenRow> {
  return db
    .updateTable('admin_tokens')
    .set({ revoked_at: token.revokedAt })
    .where('token_id', '=', token.tokenId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function touchAdminToken(
  db: Db,
  token: { tokenId: string; usedAt: string },
): Promise<void> {
  await db
    .updateTable('admin_tokens')
    .set({ last_used_at: token.usedAt })
    .where('token_id', '=', token.tokenId)
    .execute()
}
