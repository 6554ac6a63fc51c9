import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { SupportSessionsTable } from './admins.table.js'

export type SupportSessionRow = Selectable<SupportSessionsTable>

export async function insertSupportSession(
  db: Db,
  row: Insertable<SupportSessionsTable>,
): Promise<SupportSessionRow> {
  return db.insertInto('support_sessions').values(row).returningAll().executeTakeFirstOrThrow()
}

export function findSupportSession(
  db: Db,
  supportSessionId: string,
): Promise<SupportSessionRow | undefined> {
  return db
    .selectFrom('support_sessions')
    .selectAll()
    .where('support_session_id', '=', supportSessionId)
    .executeTakeFirst()
}

/** The admin's session that has not been ended (expired or not: the caller checks the time). */
export function findOpenSupportSessionOf(
  db: Db,
  adminId: string,
): Promise<SupportSessionRow | undefined> {
  return db
    .selectFrom('support_sessions')
    .selectAll()
    .where('admin_id', '=', adminId)
    .where('ended_at', 'is', null)
    .orderBy('started_at', 'desc')
    .executeTakeFirst()
}

/** Open sessions, of one admin or of everyone, newest first. */
export function listOpenSupportSessions(
  db: Db,
  options: { adminId?: string },
): Promise<SupportSessionRow[]> {
  let query = db.selectFrom('support_sessions').selectAll().where('ended_at', 'is', null)
  if (options.adminId !== undefined) query = query.where('admin_id', '=', options.adminId)
  return query.orderBy('started_at', 'desc').execute()
}

/** Open sessions whose time is up, oldest first. */
export function findExpiredOpenSupportSessions(
  db: Db,
  options: { now: string; limit: number },
): Promise<SupportSessionRow[]> {
  return db
    .selectFrom('support_sessions')
    .selectAll()
    .where('ended_at', 'is', null)
    .where('expires_at', '<=', options.now)
    .orderBy('expires_at', 'asc')
    .limit(options.limit)
    .execute()
}

/**
 * End a session that is still open. Returns the ended row, or undefined when someone else
 * ended it first (so an end or an expiry is recorded once).
 */
export function endSupportSessionRow(
  db: Db,
  end: { supportSessionId: string; endedAt: string; endReason: 'ended' | 'expired' },
): Promise<SupportSessionRow | undefined> {
  return db
    .updateTable('support_sessions')
    .set({ ended_at: end.endedAt, end_reason: end.endReason })
    .where('support_session_id', '=', end.supportSessionId)
    .where('ended_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}
