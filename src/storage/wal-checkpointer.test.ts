import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createDb } from './create-db.js'
import type { DatabaseHandle } from './database.js'
import { runCommittedTransaction } from './flushed-transaction.js'
import { startWalCheckpointer } from './wal-checkpointer.js'

const MiB = 1024 * 1024
/** The checkpoint thread's default TRUNCATE bound (wal-checkpointer.ts). */
const TRUNCATE_ABOVE = 16 * MiB

const dirs: string[] = []
const handles: DatabaseHandle[] = []
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function openDb(sqliteCheckpoints?: 'automatic' | 'thread') {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-wal-'))
  dirs.push(dir)
  const handle = createDb({ dataDir: dir, ...(sqliteCheckpoints ? { sqliteCheckpoints } : {}) })
  handles.push(handle)
  return handle
}

const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0)

async function autocheckpoint(handle: DatabaseHandle): Promise<number> {
  const rows = await sql<{ wal_autocheckpoint: bigint }>`pragma wal_autocheckpoint`.execute(
    handle.db,
  )
  return Number(rows.rows[0]!.wal_autocheckpoint)
}

/** `batches` flushed transactions of 25 rows of 4 KiB each (about 100 KiB of WAL apiece). */
async function writeBatches(handle: DatabaseHandle, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const { durable } = await runCommittedTransaction(handle.db, async (trx) => {
      await sql`insert into blobs (b) select randomblob(4096) from generate_rows limit 25`.execute(
        trx,
      )
    })
    await durable
  }
}

async function createBlobTables(handle: DatabaseHandle): Promise<void> {
  await sql`create table blobs (b blob not null)`.execute(handle.db)
  await sql`create table generate_rows (n integer)`.execute(handle.db)
  await sql`insert into generate_rows (n) values ${sql.join(
    Array.from({ length: 25 }, (_, n) => sql`(${n})`),
  )}`.execute(handle.db)
}

async function waitFor(condition: () => boolean, what: string, deadlineMs = 30_000) {
  const until = Date.now() + deadlineMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`not reached within ${deadlineMs} ms: ${what}`)
    await new Promise((done) => setTimeout(done, 50))
  }
}

describe('WAL checkpoints on a thread (SQLite)', () => {
  it('keeps SQLite automatic checkpoints by default (CLI commands) and turns them off for the thread', async () => {
    expect(await autocheckpoint(openDb())).toBe(1000)
    expect(await autocheckpoint(openDb('thread'))).toBe(0)
  })

  it('checkpoints into the database file off the event loop, and truncates a WAL that grew past the bound while a reader pinned it', async () => {
    const handle = openDb('thread')
    const walPath = `${handle.location}-wal`
    await createBlobTables(handle)
    await writeBatches(handle, 1)
    // Another connection holds a snapshot that is in the WAL: no checkpoint can let a writer
    // start the WAL over, so it grows with every batch (what a busy or stuck reader does).
    const reader = new SqliteDatabase(handle.location)
    reader.exec('begin')
    reader.prepare('select count(*) from blobs').get()
    await writeBatches(handle, 200)
    expect(fileSize(walPath)).toBeGreaterThan(TRUNCATE_ABOVE)

    reader.exec('commit')
    reader.close()
    // The thread sees the WAL past its bound and truncates it; it has copied every page first.
    await waitFor(() => fileSize(walPath) <= TRUNCATE_ABOVE, 'the WAL truncated under its bound')
    expect(fileSize(handle.location)).toBeGreaterThan(200 * 25 * 4096)
    const count = await sql<{ n: bigint }>`select count(*) as n from blobs`.execute(handle.db)
    expect(count.rows[0]!.n).toBe(201n * 25n)
  })

  it('keeps the WAL bounded under sustained flushed batches with no reader in the way', async () => {
    const handle = openDb('thread')
    const walPath = `${handle.location}-wal`
    await createBlobTables(handle)
    // ~40 MiB through the WAL, more than twice the bound: without checkpoints it would all stay.
    await writeBatches(handle, 400)
    await waitFor(() => fileSize(walPath) <= TRUNCATE_ABOVE, 'the WAL under its bound')
    await waitFor(
      () => fileSize(handle.location) > 400 * 25 * 4096,
      'every batch copied into the database file',
    )
  })

  it('closes the thread with the database: the last connection removes the WAL, every commit kept', async () => {
    const handle = openDb('thread')
    await createBlobTables(handle)
    await writeBatches(handle, 20)
    handles.splice(handles.indexOf(handle), 1)
    await handle.close()
    expect(existsSync(`${handle.location}-wal`)).toBe(false)
    const reopened = new SqliteDatabase(handle.location, { readonly: true })
    try {
      expect(reopened.prepare('select count(*) as n from blobs').get()).toEqual({ n: 500 })
    } finally {
      reopened.close()
    }
  })

  it('reports a thread that cannot open its database', async () => {
    const failures: unknown[] = []
    const checkpointer = startWalCheckpointer(
      join(tmpdir(), 'ferry-no-such-dir', 'x', 'ferry.db'),
      {
        onFailure: (err) => failures.push(err),
      },
    )
    await waitFor(() => failures.length > 0, 'the failure reported')
    await checkpointer.close()
    expect(failures).toHaveLength(1)
  })
})
