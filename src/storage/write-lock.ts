import type { Tx } from './database.js'
import { dialectOf } from './dialect-of.js'

/**
 * SQLite: make this transaction a writer from its first statement. A deferred transaction that
 * reads first and writes later fails at once with SQLITE_BUSY when another process (the CLI
 * beside a running gateway) writes meanwhile; a transaction that writes first waits for the
 * lock instead (busy timeout). PostgreSQL needs nothing: row locks do this job there.
 */
export async function takeWriteLock(tx: Tx): Promise<void> {
  if (dialectOf(tx) !== 'sqlite') return
  await tx
    .insertInto('settings')
    .values({ name: 'write_lock', value: '', updated_at: '' })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: '' }))
    .execute()
}
