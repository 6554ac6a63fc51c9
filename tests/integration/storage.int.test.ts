import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { ConfigSchema } from '../../src/config/config.schema.js'
import { MasterKeyMismatchError, startGateway } from '../../src/main.js'
import {
  createDb,
  findPendingMigrations,
  insertRows,
  insertSettingIfAbsent,
  migrateToLatest,
  runCommittedTransaction,
  type Db,
  type Tx,
} from '../../src/storage/index.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

for (const dialect of testDialects()) {
  describe(`${dialect}: storage`, () => {
    let testDb: TestDb
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
    })
    afterAll(() => testDb.destroy())

    it('applies every migration to a fresh schema, then has nothing pending', async () => {
      expect(await findPendingMigrations(testDb.db)).toEqual([])
      expect((await migrateToLatest(testDb.db)).applied).toEqual([])
    })

    it('returns 64-bit integers as bigint, exactly', async () => {
      await sql`create table bigint_probe (v bigint not null)`.execute(testDb.db)
      const max = 9_223_372_036_854_775_807n
      await sql`insert into bigint_probe (v) values (${max}), (${-max}), (${1n})`.execute(testDb.db)
      const rows = await sql<{ v: bigint }>`select v from bigint_probe order by v`.execute(
        testDb.db,
      )
      expect(rows.rows.map((r) => r.v)).toEqual([-max, 1n, max])
      const count = await sql<{ n: bigint }>`select count(*) as n from bigint_probe`.execute(
        testDb.db,
      )
      expect(count.rows[0]!.n).toBe(3n)
    })

    it('keeps the first stored setting', async () => {
      const first = await insertSettingIfAbsent(testDb.db, {
        name: 'probe',
        value: 'a',
        updatedAt: 'x',
      })
      const second = await insertSettingIfAbsent(testDb.db, {
        name: 'probe',
        value: 'b',
        updatedAt: 'y',
      })
      expect([first, second]).toEqual(['a', 'a'])
    })

    it('commits a flushed transaction (SQLite: at NORMAL inside it, FULL for everything else)', async () => {
      await sql`create table flush_probe (v integer not null)`.execute(testDb.db)
      const syncLevel = async (db: Db | Tx) =>
        Number(
          (await sql<{ synchronous: bigint }>`pragma synchronous`.execute(db)).rows[0]!.synchronous,
        )
      const inside: number[] = []
      // A query queued while the transaction holds the connection runs after it, at FULL.
      let queued: Promise<number> | undefined
      const { result: committed, durable } = await runCommittedTransaction(
        testDb.db,
        async (trx) => {
          await sql`insert into flush_probe (v) values (1)`.execute(trx)
          if (dialect === 'sqlite') {
            inside.push(await syncLevel(trx))
            queued = syncLevel(testDb.db)
          }
          return 'done'
        },
      )
      await durable
      expect(committed).toBe('done')
      if (dialect === 'sqlite') {
        expect(inside).toEqual([1])
        expect(await queued).toBe(2)
        expect(await syncLevel(testDb.db)).toBe(2)
      }
      const failed = runCommittedTransaction(testDb.db, async (trx) => {
        await sql`insert into flush_probe (v) values (2)`.execute(trx)
        throw new Error('boom')
      })
      await expect(failed).rejects.toThrow('boom')
      if (dialect === 'sqlite') expect(await syncLevel(testDb.db)).toBe(2)
      const rows = await sql<{ v: number | bigint }>`select v from flush_probe`.execute(testDb.db)
      expect(rows.rows.map((r) => Number(r.v))).toEqual([1])
    })

    it.runIf(dialect === 'sqlite')(
      'commits at FULL inside the transaction on a connection that flushes inline (the settlement thread’s)',
      async () => {
        await sql`create table inline_probe (v integer not null)`.execute(testDb.db)
        const inline = createDb({
          url: testDb.url,
          dataDir: testDb.dataDir,
          sqliteCommitFlush: 'inline',
        })
        try {
          const inside: number[] = []
          const { result, durable } = await runCommittedTransaction(inline.db, async (trx) => {
            await sql`insert into inline_probe (v) values (7)`.execute(trx)
            inside.push(
              Number(
                (await sql<{ synchronous: bigint }>`pragma synchronous`.execute(trx)).rows[0]!
                  .synchronous,
              ),
            )
            return 'done'
          })
          // COMMIT at FULL returned only once the WAL was on disk: nothing is left to wait for.
          let settled = false
          void durable.then(() => (settled = true))
          await Promise.resolve()
          expect({ result, inside, settled }).toEqual({
            result: 'done',
            inside: [2],
            settled: true,
          })
          const rows = await sql<{ v: number | bigint }>`select v from inline_probe`.execute(
            testDb.db,
          )
          expect(rows.rows.map((r) => Number(r.v))).toEqual([7])
        } finally {
          await inline.close()
        }
      },
    )

    it('commits transactions while an earlier one flushes, each durable once its own flush is done', async () => {
      await sql`create table overlap_probe (v integer not null)`.execute(testDb.db)
      // Twenty writers back to back without awaiting flushes: every commit lands, in order, and
      // each durable promise resolves (flushes are shared, never skipped).
      const commits = []
      for (let v = 0; v < 20; v++)
        commits.push(
          await runCommittedTransaction(testDb.db, async (trx) => {
            await sql`insert into overlap_probe (v) values (${v})`.execute(trx)
            return v
          }),
        )
      expect(commits.map((c) => c.result)).toEqual(Array.from({ length: 20 }, (_, v) => v))
      await Promise.all(commits.map((c) => c.durable))
      const rows = await sql<{
        v: number | bigint
      }>`select v from overlap_probe order by v`.execute(testDb.db)
      expect(rows.rows.map((r) => Number(r.v))).toEqual(commits.map((c) => c.result))
      const failed = runCommittedTransaction(testDb.db, async (trx) => {
        await sql`insert into overlap_probe (v) values (99)`.execute(trx)
        throw new Error('boom')
      })
      await expect(failed).rejects.toThrow('boom')
    })

    it('inserts rows with kept multi-row statements, each value in its own column', async () => {
      // Keys in another order than the table's columns, and chunks of 2: a misplaced value or a
      // reused text of the wrong row count would show.
      const rows = Array.from({ length: 5 }, (_, i) => ({
        updated_at: `t${i}`,
        value: `v${i}`,
        name: `insert_rows_${i}`,
      }))
      await insertRows(testDb.db, { into: 'settings', rows, maxRowsPerStatement: 2 })
      await insertRows(testDb.db, {
        into: 'settings',
        rows: rows.slice(0, 3).map(renamed('again')),
        maxRowsPerStatement: 2,
      })
      // Rows whose keys differ in order go through Kysely's builder.
      await insertRows(testDb.db, {
        into: 'settings',
        rows: [
          { name: 'insert_rows_mixed_a', value: 'a', updated_at: 'ta' },
          { value: 'b', name: 'insert_rows_mixed_b', updated_at: 'tb' },
        ],
        maxRowsPerStatement: 10,
      })
      const stored = await testDb.db
        .selectFrom('settings')
        .select(['name', 'value', 'updated_at'])
        .where('name', 'like', 'insert_rows_%')
        .execute()
      expect(stored.sort(byName)).toEqual(
        [
          ...rows,
          ...rows.slice(0, 3).map(renamed('again')),
          { name: 'insert_rows_mixed_a', value: 'a', updated_at: 'ta' },
          { name: 'insert_rows_mixed_b', value: 'b', updated_at: 'tb' },
        ]
          .map((r) => ({ name: r.name, value: r.value, updated_at: r.updated_at }))
          .sort(byName),
      )
      await expect(
        insertRows(testDb.db, {
          into: 'settings',
          rows: [{ name: 'insert_rows_0', value: 'x', updated_at: 'x' }],
          maxRowsPerStatement: 2,
        }),
      ).rejects.toThrow()
    })

    it('is ready on /readyz', async () => {
      const { app } = buildTestApp({ db: testDb.db })
      const res = await app.inject({ url: '/readyz' })
      expect(res.statusCode).toBe(200)
      await app.close()
    })
  })

  describe(`${dialect}: readiness`, () => {
    it('reports pending migrations as not ready (503, OpenAI shape)', async () => {
      const fresh = await createTestDb(dialect, { migrate: false })
      const { app } = buildTestApp({ db: fresh.db })
      const res = await app.inject({ url: '/readyz' })
      expect(res.statusCode).toBe(503)
      expect(res.json()).toMatchObject({
        error: { code: 'migrations_pending', type: 'server_error' },
      })
      await app.close()
      await fresh.destroy()
    })

    it('reports an unreachable database as not ready', async () => {
      const gone = await createTestDb(dialect)
      const { app } = buildTestApp({ db: gone.db })
      await gone.close()
      const res = await app.inject({ url: '/readyz' })
      expect(res.statusCode).toBe(503)
      expect(res.json()).toMatchObject({ error: { code: 'database_unavailable' } })
      await app.close()
      await gone.destroy()
    })
  })

  describe(`${dialect}: gateway start`, () => {
    it('starts on the database, serves /readyz, and refuses a different master key', async () => {
      const testDb = await createTestDb(dialect, { migrate: false })
      await testDb.close()
      const config = ConfigSchema.parse({
        server: { port: 0 },
        dataDir: testDb.dataDir,
        database: { url: testDb.url },
        masterKey: 'ab'.repeat(32),
        log: { level: 'silent' },
      })
      const gateway = await startGateway({ config })
      const res = await fetch(`${gateway.url}/readyz`)
      expect(res.status).toBe(200)
      await gateway.stop()
      await expect(
        startGateway({ config: { ...config, masterKey: 'cd'.repeat(32) } }),
      ).rejects.toThrow(MasterKeyMismatchError)
      await testDb.destroy()
    })
  })
}

const renamed =
  (suffix: string) =>
  <T extends { name: string }>(row: T): T => ({ ...row, name: `${row.name}_${suffix}` })

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0
