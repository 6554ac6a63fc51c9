import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInvalidationFor } from '../../../src/invalidation/create-invalidation.js'
import type { CacheInvalidation, InvalidationMessage } from '../../../src/invalidation/index.js'
import { systemClock } from '../../../src/lib/clock.js'
import { createDb, type DatabaseHandle } from '../../../src/storage/index.js'
import { TEST_REDIS_URL } from '../../support/services.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Issue #10: Redis carries invalidations between processes, and the database's own transport
 * carries them too, so a Redis outage delays no revocation ("Redis down: nothing else breaks").
 */
const NOWHERE = 'redis://127.0.0.1:1' // nothing listens there: Redis is down

for (const dialect of testDialects()) {
  describe(`${dialect}: invalidation with Redis configured`, () => {
    let testDb: TestDb
    let second: DatabaseHandle
    const open: CacheInvalidation[] = []
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      second = createDb({ url: testDb.url, dataDir: testDb.dataDir })
    })
    afterAll(async () => {
      for (const transport of open) await transport.close()
      await second.close()
      await testDb.destroy()
    })
    const transportOn = (database: DatabaseHandle, redisUrl: string) => {
      const transport = createInvalidationFor({
        database,
        databaseUrl: testDb.url,
        redisUrl,
        clock: systemClock,
      })
      open.push(transport)
      return transport
    }
    const deliveredWithin = async (
      from: CacheInvalidation,
      to: CacheInvalidation,
      message: { kind: 'key'; id: string },
    ) => {
      const received: InvalidationMessage[] = []
      to.subscribe((m) => received.push(m))
      await Promise.race([to.ready(), new Promise((r) => setTimeout(r, 3_000))])
      const startedAt = performance.now()
      await from.publish(message)
      while (!received.some((m) => m.kind === 'key' && m.id === message.id)) {
        if (performance.now() - startedAt > 1_000) throw new Error('not received within 1 s')
        await new Promise((r) => setTimeout(r, 10))
      }
      return performance.now() - startedAt
    }

    it('still reaches the other process within a second while Redis is down', async () => {
      const a = transportOn(testDb, NOWHERE)
      const b = transportOn(second, NOWHERE)
      expect(await deliveredWithin(a, b, { kind: 'key', id: 'key_redis_down' })).toBeLessThan(1_000)
    })

    it('reaches the other process within a second with Redis up', async () => {
      const a = transportOn(testDb, TEST_REDIS_URL)
      const b = transportOn(second, TEST_REDIS_URL)
      expect(await deliveredWithin(a, b, { kind: 'key', id: 'key_redis_up' })).toBeLessThan(1_000)
    })
  })
}
