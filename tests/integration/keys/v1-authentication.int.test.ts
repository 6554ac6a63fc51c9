import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createInvalidationFor } from '../../../src/invalidation/create-invalidation.js'
import { createMemoryRateLimiter, createRedisRateLimiter } from '../../../src/rate-limits/index.js'
import { createManualClock, systemClock } from '../../../src/lib/clock.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { TEST_REDIS_URL } from '../../support/services.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

const MODELS = {
  listModels: () => [
    { id: 'gpt-4o-mini', ownedBy: 'openai', created: 1_700_000_000 },
    { id: 'claude-3-5-haiku', ownedBy: 'anthropic', created: 1_700_000_000 },
  ],
}

for (const dialect of testDialects()) {
  describe(`${dialect}: /v1 key authentication and rate limits`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>
    const clock = createManualClock(Date.UTC(2026, 10, 1))
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({
        db: testDb.db,
        clock,
        models: MODELS,
        rateLimiter: createMemoryRateLimiter({ clock }),
      })
      await built.app.ready()
    })
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
    })

    async function newKey(
      options: {
        scopes?: { models: string[] | null; endpoints: ('models' | 'chat.completions')[] | null }
        rpm?: number
      } = {},
    ) {
      const org = await built.services.admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
      return built.services.admin.keys.create(SETUP_AUDIT, {
        organizationId: org.organizationId,
        name: 'k',
        environment: 'live',
        ...(options.scopes ? { scopes: options.scopes } : {}),
        ...(options.rpm ? { rateLimits: { requestsPerMinute: options.rpm } } : {}),
      })
    }
    const models = (headers: Record<string, string>) =>
      built.app.inject({ url: '/v1/models', headers })

    it('serves a valid key (Bearer or Azure-style api-key) and lists only its models', async () => {
      const { secret } = await newKey({ scopes: { models: ['gpt-4o-mini'], endpoints: null } })
      const bearer = await models({ authorization: `Bearer ${secret}` })
      expect(bearer.statusCode).toBe(200)
      expect(bearer.json()).toEqual({
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 1_700_000_000, owned_by: 'openai' }],
      })
      expect((await models({ 'api-key': secret })).statusCode).toBe(200)
      const outside = await built.app.inject({
        url: '/v1/models/claude-3-5-haiku',
        headers: { authorization: `Bearer ${secret}` },
      })
      expect(outside.statusCode).toBe(404)
      expectOpenAIError(outside.json(), { code: 'model_not_found' })
      expect(outside.json<{ error: { message: string } }>().error.message).toContain(
        'claude-3-5-haiku',
      )
    })

    it('answers 401 in OpenAI shape for missing, malformed and unknown keys', async () => {
      const missing = await models({})
      expect(missing.statusCode).toBe(401)
      expectOpenAIError(missing.json(), { type: 'invalid_request_error', code: null })
      for (const bad of [
        'Bearer sk-not-ferry',
        'Bearer fk_live_x',
        `Bearer fk_live_${'a'.repeat(55)}`,
      ]) {
        const res = await models({ authorization: bad })
        expect(res.statusCode).toBe(401)
        expectOpenAIError(res.json(), { code: 'invalid_api_key' })
        expect(res.headers['x-request-id']).toMatch(/^req_/)
      }
    })

    it('refuses a revoked key on the very next request, and keys of a suspended organization', async () => {
      const { key, secret } = await newKey()
      expect((await models({ authorization: `Bearer ${secret}` })).statusCode).toBe(200)
      const revoked = await built.app.inject({
        method: 'POST',
        url: `/admin/v1/keys/${key.keyId}/revoke`,
        headers: { authorization: `Bearer ${await ownerToken()}` },
        payload: { reason: { code: 'key_leaked' } },
      })
      expect(revoked.statusCode).toBe(200)
      const after = await models({ authorization: `Bearer ${secret}` })
      expect(after.statusCode).toBe(401)
      expectOpenAIError(after.json(), { code: 'invalid_api_key' })

      const other = await newKey()
      await built.services.admin.organizations.suspend(
        { ...SETUP_AUDIT, reason: { code: 'unpaid' } },
        other.key.organizationId,
      )
      expect((await models({ authorization: `Bearer ${other.secret}` })).statusCode).toBe(401)
    })

    it('refuses an endpoint outside the key scopes with 403', async () => {
      const { secret } = await newKey({ scopes: { models: null, endpoints: ['chat.completions'] } })
      const res = await models({ authorization: `Bearer ${secret}` })
      expect(res.statusCode).toBe(403)
      expectOpenAIError(res.json(), { code: 'endpoint_not_allowed' })
    })

    it('limits requests per minute with OpenAI headers and retry-after', async () => {
      const { secret } = await newKey({ rpm: 2 })
      const first = await models({ authorization: `Bearer ${secret}` })
      expect(first.headers['x-ratelimit-limit-requests']).toBe('2')
      expect(first.headers['x-ratelimit-remaining-requests']).toBe('1')
      await models({ authorization: `Bearer ${secret}` })
      const third = await models({ authorization: `Bearer ${secret}` })
      expect(third.statusCode).toBe(429)
      expectOpenAIError(third.json(), { type: 'requests', code: 'rate_limit_exceeded' })
      expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      clock.advance(60_000)
      expect((await models({ authorization: `Bearer ${secret}` })).statusCode).toBe(200)
    })

    async function ownerToken(): Promise<string> {
      const owner = await built.services.admin.users.createAdmin(
        { audit: SETUP_AUDIT },
        {
          email: `owner-${Date.now()}-${Math.random()}@example.com`,
          role: 'owner',
          password: 'correct horse battery staple',
        },
      )
      const token = await built.services.admin.tokens.createToken(SETUP_AUDIT, {
        adminId: owner.adminId,
        name: 't',
      })
      return token.token
    }
  })

  describe(`${dialect}: two gateway instances on one database`, () => {
    it('a revocation made on one instance is refused by the other within a second', async () => {
      const testDb = await createTestDb(dialect)
      const make = () => {
        const invalidation = createInvalidationFor({
          database: testDb,
          databaseUrl: testDb.url,
          redisUrl: undefined,
          clock: systemClock,
        })
        return buildTestApp({ db: testDb.db, models: MODELS, invalidation })
      }
      const a = make()
      const b = make()
      try {
        await Promise.all([a.invalidation.ready(), b.invalidation.ready()])
        const org = await a.services.admin.organizations.create(SETUP_AUDIT, { name: 'Two' })
        const { key, secret } = await a.services.admin.keys.create(SETUP_AUDIT, {
          organizationId: org.organizationId,
          name: 'k',
          environment: 'live',
        })
        const viaB = () =>
          b.app.inject({ url: '/v1/models', headers: { authorization: `Bearer ${secret}` } })
        expect((await viaB()).statusCode).toBe(200)
        await a.services.admin.keys.revoke(
          { ...SETUP_AUDIT, reason: { code: 'key_leaked' } },
          key.keyId,
        )
        const revokedAt = Date.now()
        let status = 200
        while (status === 200 && Date.now() - revokedAt < 1000) {
          await new Promise((r) => setTimeout(r, 25))
          status = (await viaB()).statusCode
        }
        expect(status).toBe(401)
        expect(Date.now() - revokedAt).toBeLessThan(1000)
      } finally {
        await a.app.close()
        await b.app.close()
        await a.invalidation.close()
        await b.invalidation.close()
        await testDb.destroy()
      }
    })
  })
}

describe('Redis-backed rate limits shared by two app instances', () => {
  it.skipIf(!inject('redisAvailable'))('enforces one key limit across both instances', async () => {
    const testDb = await createTestDb('sqlite')
    const clients = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)]
    const keyPrefix = `ferry-test:${Date.now()}:${Math.random().toString(36).slice(2)}:`
    const [a, b] = clients.map((redis) =>
      buildTestApp({
        db: testDb.db,
        models: MODELS,
        rateLimiter: createRedisRateLimiter({
          redis,
          clock: systemClock,
          keyPrefix,
          timeoutMs: 5_000,
        }),
      }),
    )
    try {
      const org = await a!.services.admin.organizations.create(SETUP_AUDIT, { name: 'Shared' })
      const { secret } = await a!.services.admin.keys.create(SETUP_AUDIT, {
        organizationId: org.organizationId,
        name: 'k',
        environment: 'live',
        rateLimits: { requestsPerMinute: 5 },
      })
      const statuses: number[] = []
      for (let i = 0; i < 12; i++) {
        const app = i % 2 === 0 ? a! : b!
        statuses.push(
          (
            await app.app.inject({
              url: '/v1/models',
              headers: { authorization: `Bearer ${secret}` },
            })
          ).statusCode,
        )
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(5)
      expect(statuses.filter((s) => s === 429)).toHaveLength(7)
    } finally {
      await a!.app.close()
      await b!.app.close()
      await Promise.all(clients.map((c) => c.quit()))
      await testDb.destroy()
    }
  })
})
