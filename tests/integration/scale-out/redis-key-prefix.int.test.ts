import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { ConfigSchema } from '../../../src/config/config.schema.js'
import { loadConfig } from '../../../src/config/load-config.js'
import type { CacheInvalidation, InvalidationMessage } from '../../../src/invalidation/index.js'
import { createInvalidationFor } from '../../../src/invalidation/create-invalidation.js'
import { systemClock } from '../../../src/lib/clock.js'
import {
  buildRateLimitCharges,
  createRateLimiterFor,
  type RateLimiter,
} from '../../../src/rate-limits/index.js'
import { TEST_REDIS_URL } from '../../support/services.js'
import { createTestDb, type TestDb } from '../../support/test-db.js'

/**
 * Issue #10: `redis.keyPrefix` lets two deployments share one Redis. Processes with the same
 * prefix share rate-limit counters and invalidations; a deployment with another prefix sees
 * neither.
 */
describe.skipIf(!inject('redisAvailable'))('redis.keyPrefix: deployments sharing one Redis', () => {
  const opened: (RateLimiter | CacheInvalidation | TestDb)[] = []
  afterAll(async () => {
    for (const thing of opened.reverse())
      await ('destroy' in thing ? thing.destroy() : thing.close())
  })
  const unique = () => `ferry-test-${randomBytes(6).toString('hex')}:`

  it('is read from FERRY_REDIS_KEY_PREFIX, defaults to ferry:, and refuses spaces', () => {
    expect(ConfigSchema.parse({}).redis.keyPrefix).toBe('ferry:')
    expect(loadConfig({ env: { FERRY_REDIS_KEY_PREFIX: 'acme:' } }).redis.keyPrefix).toBe('acme:')
    expect(() => loadConfig({ env: { FERRY_REDIS_KEY_PREFIX: 'a b' } })).toThrow(/keyPrefix/)
  })

  it('shares rate-limit counters within a prefix and not across prefixes', async () => {
    const fellBack = new Set<string>()
    /** A limiter as main.ts builds it, once its Redis connection answers (no fallback). */
    const limiter = async (redisKeyPrefix: string) => {
      const id = randomBytes(4).toString('hex')
      const created = createRateLimiterFor({
        redisUrl: TEST_REDIS_URL,
        redisKeyPrefix,
        clock: systemClock,
        onFallback: () => fellBack.add(id),
      })
      opened.push(created)
      const probe = buildRateLimitCharges({
        organizationId: 'org_probe',
        keyId: 'key_probe',
        key: { requestsPerMinute: 1_000 },
        organization: {},
        estimatedTokens: 0,
      })
      for (let i = 0; i < 100; i++) {
        fellBack.delete(id)
        await created.consume(probe)
        if (!fellBack.has(id)) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(fellBack.has(id)).toBe(false)
      return created
    }
    const deployment = unique()
    const one = await limiter(deployment)
    const two = await limiter(deployment)
    const other = await limiter(unique())
    const charges = buildRateLimitCharges({
      organizationId: 'org_shared_redis',
      keyId: 'key_shared_redis',
      key: { requestsPerMinute: 1 },
      organization: {},
      estimatedTokens: 1,
    })
    expect((await one.consume(charges)).allowed).toBe(true)
    // The same deployment (prefix) on another process: the one request a minute is spent.
    expect((await two.consume(charges)).allowed).toBe(false)
    // Another deployment on the same Redis counts its own.
    expect((await other.consume(charges)).allowed).toBe(true)
    expect(fellBack).toEqual(new Set())
  })

  it('delivers invalidations within a prefix and not across prefixes', async () => {
    // Each on its own SQLite database: only Redis connects them.
    const transport = async (redisKeyPrefix: string) => {
      const testDb = await createTestDb('sqlite')
      opened.push(testDb)
      const created = createInvalidationFor({
        database: testDb,
        databaseUrl: testDb.url,
        redisUrl: TEST_REDIS_URL,
        redisKeyPrefix,
        clock: systemClock,
      })
      opened.push(created)
      const received: InvalidationMessage[] = []
      created.subscribe((m) => received.push(m))
      await created.ready()
      return { transport: created, received }
    }
    const [prefix, otherPrefix] = [unique(), unique()]
    const sender = await transport(prefix)
    const sameDeployment = await transport(prefix)
    const otherSender = await transport(otherPrefix)
    const otherDeployment = await transport(otherPrefix)
    type Peer = Awaited<ReturnType<typeof transport>>
    const has = (peer: Peer, id: string) => peer.received.some((m) => 'id' in m && m.id === id)
    // ready() resolves with the first transport up (the SQLite one): publish again until the
    // receiver's Redis subscription hears it.
    const publishUntilHeard = async (from: Peer, to: Peer, id: string) => {
      for (let i = 0; i < 400 && !has(to, id); i++) {
        await from.transport.publish({ kind: 'key', id })
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(has(to, id)).toBe(true)
    }
    await publishUntilHeard(sender, sameDeployment, 'key_one')
    await publishUntilHeard(otherSender, otherDeployment, 'key_two')
    // Both subscribed now. Redis delivers in publish order: had the other deployment been on
    // the first one's channel, it would hear key_three before key_four.
    await publishUntilHeard(sender, sameDeployment, 'key_three')
    await publishUntilHeard(otherSender, otherDeployment, 'key_four')
    expect(has(otherDeployment, 'key_one') || has(otherDeployment, 'key_three')).toBe(false)
    expect(has(sameDeployment, 'key_two') || has(sameDeployment, 'key_four')).toBe(false)
  })
})
