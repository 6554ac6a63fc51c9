import { sql } from 'kysely'
import type { Db } from './database.js'
import { findPendingMigrations } from './migrate.js'

/** Round-trip the database and report migrations not yet applied. Throws when unreachable. */
export async function checkDatabase(db: Db): Promise<{ pendingMigrations: string[] }> {
  await sql`select 1`.execute(db)
  return { pendingMigrations: await findPendingMigrations(db) }
}
