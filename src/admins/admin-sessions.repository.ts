import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { AdminSessionsTable } from './admins.table.js'

export type AdminSessionRow = Selectable<AdminSessionsTable>

export async function insertAdminSession(
  db: Db,
  row: Insertable<AdminSessionsTable>,
): Promise<void> {
  await db.insertInto('admin_sessions').values(row).execute()
}

export function findAdminSessionByTokenHash(
  db: Db,
  tokenHash: string,
): Promise<AdminSessionRow | undefined> {
  return db
    .selectFrom('admin_sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export async function touchAdminSession(
  db: Db,
  session: { sessionId: string; lastSeenAt: string },
): Promise<void> {
  await db
    .updateTable('admin_sessions')
    .set({ last_seen_at: session.lastSeenAt })
    .where('session_id', '=', session.sessionId)
    .execute()
}

export async function liftSessionRestriction(db: Db, adminId: string): Promise<void> {
  await db
    .updateTable('admin_sessions')
    .set({ restricted: 0n })
    .where('admin_id', '=', adminId)
    .execute()
}

export async function deleteAdminSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('session_id', '=', sessionId).execute()
}

/** End every session of an admin, optionally keeping the one making the request. */
export async function deleteAdminSessionsOf(
  db: Db,
  options: { adminId: string; exceptSessionId?: string },
): Promise<number> {
  let query = db.deleteFrom('admin_sessions').where('admin_id', '=', options.adminId)
  if (options.exceptSessionId !== undefined)
    query = query.where('session_id', '!=', options.exceptSessionId)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}
