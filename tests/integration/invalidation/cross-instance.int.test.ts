import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  createPostgresListenNotifyInvalidation,
  createRedisPubSubInvalidation,
  createSqliteChangeCounterInvalidation,
  publishAfterCommit,
  type CacheInvalidation,
  type InvalidationMessage,
} from '../../../src/invalidation/index.js'
import { systemClock } from '../../../src/lib/clock.js'
import { createDb, type DatabaseHandle, type Dialect } from '../../../src/storage/index.js'
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '../../support/services.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/** Wait until `received` holds a message equal to `expected`; return how long it took. */
async function receivedWithin(
  received: readonly InvalidationMessage[],
  expected: InvalidationMessage,
  withinMs = 1_000,
): Promise<number> {
  const startedAt = performance.now()
  while (!received.some((m) => JSON.stringify(m) === JSON.stringify(expected))) {
    const elapsed = performance.now() - startedAt
    if (elapsed > withinMs) {
      throw new Error(`${JSON.stringify(expected)} not received within ${withinMs}ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return performance.now() - startedAt
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const uniqueChannel = () => `ferry_test_${randomBytes(6).toString('hex')}`

/** Two gateway instances on one database, as separate processes would be. */
interface Pair {
  a: CacheInvalidation
  b: CacheInvalidation
  /** PostgreSQL: the NOTIFY channel the pair shares. */
  channel?: string
  close(): Promise<void>
}

function openPair(testDb: TestDb, dialect: Dialect): Pair {
  if (dialect === 'sqlite') {
    // A second handle is a second connection to the file: another process, as far as SQLite knows.
    const other: DatabaseHandle = createDb({ url: testDb.url, dataDir: testDb.dataDir })
    const make = (db: DatabaseHandle['db']) =>
      createSqliteChangeCounterInvalidation({ db, clock: systemClock, pollIntervalMs: 200 })
    const a = make(testDb.db)
    const b = make(other.db)
    return {
      a,
      b,
      close: async () => {
        await Promise.all([a.close(), b.close()])
        await other.close()
      },
    }
  }
  const channel = uniqueChannel()
  const make = () =>
    createPostgresListenNotifyInvalidation({
      db: testDb.db,
      connectionString: TEST_POSTGRES_URL,
      channel,
      reconnectDelayMs: 50,
    })
  const a = make()
  const b = make()
  return { a, b, channel, close: async () => void (await Promise.all([a.close(), b.close()])) }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: cache invalidation across instances`, () => {
    let testDb: TestDb
    let pair: Pair
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
    })
    afterAll(() => testDb.destroy())
    afterEach(() => pair.close())

    it('delivers a message published by one instance to another within one second', async () => {
      pair = openPair(testDb, dialect)
      const atA: InvalidationMessage[] = []
      const atB: InvalidationMessage[] = []
      pair.a.subscribe((m) => atA.push(m))
      pair.b.subscribe((m) => atB.push(m))
      await Promise.all([pair.a.ready(), pair.b.ready()])

      await pair.a.publish({ kind: 'key', id: 'key_revoked' })
      expect(atA).toEqual([{ kind: 'key', id: 'key_revoked' }]) // at once, in the publisher
      expect(await receivedWithin(atB, { kind: 'key', id: 'key_revoked' })).toBeLessThan(1_000)

      await pair.b.publish({ kind: 'organization', id: 'org_1' })
      await receivedWithin(atA, { kind: 'organization', id: 'org_1' })
      await sleep(300)
      // Each side got each message once: no echo of its own.
      expect(atA).toEqual([
        { kind: 'key', id: 'key_revoked' },
        { kind: 'organization', id: 'org_1' },
      ])
      expect(atB).toEqual(atA)
    })

    it('publishes a change made in a transaction only once it committed', async () => {
      pair = openPair(testDb, dialect)
      const atB: InvalidationMessage[] = []
      pair.b.subscribe((m) => atB.push(m))
      await pair.b.ready()

      await expect(
        publishAfterCommit(pair.a, (invalidate) =>
          testDb.db.transaction().execute(async (tx) => {
            await tx
              .insertInto('settings')
              .values({ name: 'probe', value: 'x', updated_at: 'now' })
              .execute()
            invalidate({ kind: 'key', id: 'rolled_back' })
            throw new Error('rollback')
          }),
        ),
      ).rejects.toThrow('rollback')

      let seenInsideTransaction = -1
      await publishAfterCommit(pair.a, (invalidate) =>
        testDb.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('settings')
            .values({ name: 'probe', value: 'y', updated_at: 'now' })
            .execute()
          invalidate({ kind: 'key', id: 'committed' })
          await sleep(400) // long enough for B to have seen an early publish
          seenInsideTransaction = atB.length
        }),
      )
      expect(seenInsideTransaction).toBe(0)
      await receivedWithin(atB, { kind: 'key', id: 'committed' })
      expect(atB).toEqual([{ kind: 'key', id: 'committed' }])
    })

    if (dialect === 'postgres') {
      it('reconnects a dropped listener and drops every cache, since it may have missed messages', async () => {
        pair = openPair(testDb, dialect)
        const atB: InvalidationMessage[] = []
        pair.b.subscribe((m) => atB.push(m))
        await pair.b.ready()
        const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
        await admin.connect()
        try {
          const killed = await admin.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
             where pid <> pg_backend_pid() and query ilike $1`,
            [`LISTEN ${pair.channel}%`],
          )
          expect(killed.rowCount).toBe(1)
        } finally {
          await admin.end()
        }
        await receivedWithin(atB, { kind: 'all' }, 3_000)
        await pair.a.publish({ kind: 'key', id: 'after_reconnect' })
        await receivedWithin(atB, { kind: 'key', id: 'after_reconnect' })
      })
    }
  })
}

describe.skipIf(!inject('redisAvailable'))(
  'redis-pubsub: cache invalidation across instances',
  () => {
    const clients: Redis[] = []
    const transports: CacheInvalidation[] = []
    const open = (channel: string) => {
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })
      clients.push(redis)
      const transport = createRedisPubSubInvalidation({ redis, channel })
      transports.push(transport)
      return transport
    }
    afterEach(async () => {
      await Promise.all(transports.splice(0).map((t) => t.close()))
      await Promise.all(clients.splice(0).map((c) => c.quit()))
    })

    it('delivers a message published by one instance to another within one second', async () => {
      const channel = `ferry:test:${uniqueChannel()}`
      const a = open(channel)
      const b = open(channel)
      const atA: InvalidationMessage[] = []
      const atB: InvalidationMessage[] = []
      a.subscribe((m) => atA.push(m))
      b.subscribe((m) => atB.push(m))
      await Promise.all([a.ready(), b.ready()])
      await a.publish({ kind: 'budget-policy', id: 'bp_1' })
      expect(atA).toEqual([{ kind: 'budget-policy', id: 'bp_1' }])
      expect(await receivedWithin(atB, { kind: 'budget-policy', id: 'bp_1' })).toBeLessThan(1_000)
      await sleep(100)
      expect(atA).toHaveLength(1)
    })

    it('resubscribes after the connection drops and drops every cache', async () => {
      const channel = `ferry:test:${uniqueChannel()}`
      const a = open(channel)
      const b = open(channel)
      const atB: InvalidationMessage[] = []
      b.subscribe((m) => atB.push(m))
      await b.ready()
      const admin = new Redis(TEST_REDIS_URL)
      try {
        const list = await admin.client('LIST')
        const line = String(list)
          .split('\n')
          .find((l) => l.includes(`name=ferry-invalidation:${channel} `))
        const id = /\bid=(\d+)/.exec(line ?? '')?.[1]
        expect(id).toBeDefined()
        await admin.client('KILL', 'ID', id!)
      } finally {
        await admin.quit()
      }
      await receivedWithin(atB, { kind: 'all' }, 3_000)
      // Resubscription follows the reconnect closely; publish until it is through.
      const expected = { kind: 'key', id: 'after_reconnect' } as const
      const deadline = Date.now() + 1_000
      while (!atB.some((m) => m.kind === 'key') && Date.now() < deadline) {
        await a.publish(expected)
        await sleep(50)
      }
      expect(atB).toContainEqual(expected)
    })
  },
)
