import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../../../src/config/resolve-provider-accounts.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { createSeededRandom } from '../../../src/lib/random.js'
import { configuredAccount } from '../../support/configured-account.js'
import type { RoutePolicyScope } from '../../../src/routing/index.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/** A configured mock account whose settings make it fail (or not) the same way every time. */
function mockAccount(name: string, settings: Record<string, unknown> = {}) {
  return configuredAccount({ name, kind: 'mock', baseUrl: 'http://mock.invalid', settings })
}

const ACCOUNTS = [
  BUILTIN_MOCK_PROVIDER_ACCOUNT,
  mockAccount('healthy'),
  mockAccount('other-healthy'),
  mockAccount('down-503', { failStatus: 503 }),
  mockAccount('down-500', { failStatus: 500 }),
  mockAccount('retry-503', { failStatus: 503 }),
  mockAccount('limited-429', { failStatus: 429 }),
  mockAccount('hangs', { failTransport: 'timeout' }),
  mockAccount('refuses', { failTransport: 'refused' }),
  mockAccount('rejects-400', { failStatus: 400 }),
  mockAccount('stream-fails-first', { failAfterChunks: 0 }),
  mockAccount('stream-fails-later', { failAfterChunks: 2, completionTokens: 8 }),
  mockAccount('slow', { latencyMs: 300 }),
]

const route = (targets: { provider: string; model?: string; weight?: number }[], extra = {}) => ({
  targets: targets.map((t) => ({ model: 'mock', ...t })),
  retry: { maxRetries: 0, initialBackoffMs: 0 },
  ...extra,
})

for (const dialect of testDialects()) {
  describe(`${dialect}: requests follow the route policy`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>
    const clock = createManualClock(Date.UTC(2026, 10, 1))
    let secret: string
    let organizationId: string

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({
        db: testDb.db,
        clock,
        providerAccounts: ACCOUNTS,
        routingRandom: createSeededRandom(2026),
        circuitBreaker: { failureThreshold: 3, coolDownMs: 10_000 },
      })
      await built.services.models.ready()
      await built.app.ready()
      const org = await built.services.admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
      organizationId = org.organizationId
      secret = (
        await built.services.admin.keys.create(SETUP_AUDIT, {
          organizationId,
          name: 'k',
          environment: 'live',
        })
      ).secret
    })
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
    })

    const publish = (policy: Record<string, unknown>, scope: RoutePolicyScope = 'global') =>
      built.services.admin.routing.policies.publish(SETUP_AUDIT, { scope, policy })
    const chat = (model: string, extra: Record<string, unknown> = {}, key = secret) =>
      built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${key}` },
        payload: { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
      })
    const lastAccessLine = () =>
      built.logs
        .records()
        .filter((l) => l.msg === 'request completed')
        .at(-1)!

    it('keeps the implicit policy (version 0) while nothing is published', async () => {
      const res = await chat('mock')
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['x-ferry-route-policy-version']).toBe('0')
      expect(res.headers['x-ferry-model-served']).toBe('mock')
      expect(lastAccessLine()).toMatchObject({
        modelRequested: 'mock',
        modelServed: 'mock',
        provider: 'mock',
        routePolicyVersion: '0',
      })
    })

    describe('falls back before the first byte on each listed condition', () => {
      const cases = [
        { failing: 'down-503', condition: 'server_error' },
        { failing: 'down-500', condition: 'server_error' },
        { failing: 'limited-429', condition: 'rate_limited' },
        { failing: 'hangs', condition: 'timeout' },
        { failing: 'refuses', condition: 'connection_error' },
      ]
      for (const { failing, condition } of cases) {
        it(`${failing} (${condition}) → healthy`, async () => {
          const published = await publish({
            routes: { [`fb-${failing}`]: route([{ provider: failing }, { provider: 'healthy' }]) },
          })
          const res = await chat(`fb-${failing}`)
          expect(res.statusCode, res.body).toBe(200)
          expect(res.headers['x-ferry-route-policy-version']).toBe(String(published.version))
          const line = lastAccessLine()
          expect(line).toMatchObject({
            modelRequested: `fb-${failing}`,
            modelServed: 'mock',
            provider: 'healthy',
            routePolicyVersion: String(published.version),
            routeAttempts: 2,
          })
          expect(String(line.fallbackReason)).toContain(`${failing}/mock ${condition}`)
        })
      }

      it('does not fall back on a condition the route does not list', async () => {
        await publish({
          routes: {
            narrow: route([{ provider: 'down-503' }, { provider: 'healthy' }], {
              fallbackOn: ['timeout'],
            }),
          },
        })
        const res = await chat('narrow')
        expect(res.statusCode).toBe(503)
        expect(res.headers['x-ferry-route-policy-version']).toBeDefined()
        expect(lastAccessLine()).toMatchObject({ modelServed: null, routeAttempts: 1 })
      })

      it("never falls back on the client's own 400", async () => {
        await publish({
          routes: { bad: route([{ provider: 'rejects-400' }, { provider: 'healthy' }]) },
        })
        const res = await chat('bad')
        expect(res.statusCode).toBe(400)
        expect(lastAccessLine()).toMatchObject({ routeAttempts: 1 })
      })
    })

    it('retries a target, then gives up when retries are exhausted', async () => {
      await publish({
        routes: {
          retrying: route([{ provider: 'retry-503' }], {
            retry: { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 2, on: ['server_error'] },
          }),
        },
      })
      const res = await chat('retrying')
      expect(res.statusCode).toBe(503)
      const outcomeLine = built.logs
        .records()
        .filter((l) => l.msg === 'upstream attempts failed')
        .at(-1) as { routing: { attempts: { next: string; attempt: number }[] } }
      expect(outcomeLine.routing.attempts.map((a) => [a.attempt, a.next])).toEqual([
        [1, 'retry'],
        [2, 'retry'],
        [3, 'stop'],
      ])
    })

    it('streams: falls back when the first chunk fails, never after the first byte', async () => {
      await publish({
        routes: {
          'stream-early': route([{ provider: 'stream-fails-first' }, { provider: 'healthy' }]),
          'stream-late': route([{ provider: 'stream-fails-later' }, { provider: 'healthy' }]),
        },
      })
      const early = await chat('stream-early', { stream: true })
      expect(early.statusCode).toBe(200)
      expect(early.headers['x-ferry-model-served']).toBe('mock')
      expect(early.body).toContain('[DONE]')
      expect(early.body).not.toContain('"error"')
      expect(lastAccessLine()).toMatchObject({ provider: 'healthy', routeAttempts: 2 })

      const late = await chat('stream-late', { stream: true })
      expect(late.statusCode).toBe(200)
      const frames = late.body.split('\n\n').filter((f) => f.startsWith('data: {'))
      // Two chunks from the failing target, then one error event: no second model spliced in.
      expect(frames.at(-1)).toContain('"error"')
      expect(frames.filter((f) => f.includes('"choices"')).length).toBeLessThanOrEqual(2)
      expect(lastAccessLine()).toMatchObject({ provider: 'stream-fails-later', routeAttempts: 1 })
    })

    it('spreads weighted traffic within tolerance (seeded random)', async () => {
      await publish({
        routes: {
          weighted: route(
            [
              { provider: 'healthy', weight: 3 },
              { provider: 'other-healthy', weight: 1 },
            ],
            { strategy: 'weighted' },
          ),
        },
      })
      const counts: Record<string, number> = {}
      for (let i = 0; i < 400; i++) {
        const res = await chat('weighted')
        expect(res.statusCode).toBe(200)
        const provider = String(lastAccessLine().provider)
        counts[provider] = (counts[provider] ?? 0) + 1
      }
      expect(counts.healthy! / 400).toBeGreaterThan(0.68)
      expect(counts.healthy! / 400).toBeLessThan(0.82)
    })

    it('serves the economy tier when the budget state says downgrade', async () => {
      const published = await publish({
        routes: {
          premium: route([{ provider: 'healthy', model: 'mock-large' }], {
            tier: 'premium',
            tierRoutes: { economy: 'cheap' },
          }),
          cheap: route([{ provider: 'healthy', model: 'mock-small' }], { tier: 'economy' }),
        },
        downgradeRules: [
          { when: 'budget_state', budgetStates: ['downgrade'], serveTier: 'economy' },
        ],
      })
      const decision = await built.services.admin.routing.dryRun({
        model: 'premium',
        organizationId,
        budgetState: 'downgrade',
      })
      expect(decision).toMatchObject({
        decision: 'serve',
        routePolicyVersion: String(published.version),
        route: 'cheap',
        tier: 'economy',
        wouldServe: { provider: 'healthy', model: 'mock-small' },
      })
      expect(decision.explanation.join(' ')).toContain('Budget state `downgrade`')
      const normal = await chat('premium')
      expect(normal.headers['x-ferry-model-served']).toBe('mock-large')
    })

    it('opens a circuit after consecutive failures, skips the provider, then probes half-open', async () => {
      await publish({
        routes: {
          guarded: route([{ provider: 'down-500' }, { provider: 'other-healthy' }]),
        },
      })
      const health = built.services.admin.routing.health
      // Earlier cases already counted failures against down-500; reset by a fresh cool-down.
      clock.advance(60_000)
      for (let i = 0; i < 3; i++) await chat('guarded')
      expect(health.stateOf(`prv_config_down-500`)).toBe('open')
      const skipped = await chat('guarded')
      expect(skipped.statusCode).toBe(200)
      expect(lastAccessLine()).toMatchObject({ provider: 'other-healthy', routeAttempts: 1 })
      expect(String(lastAccessLine().fallbackReason)).toContain('circuit_open')
      const metrics = await built.app.inject({ url: '/metrics' })
      expect(metrics.body).toMatch(/ferry_provider_circuit_state\{provider="down-500"\} 2/)

      clock.advance(10_000)
      expect(health.stateOf(`prv_config_down-500`)).toBe('half_open')
      await chat('guarded') // the probe fails: open again
      expect(health.stateOf(`prv_config_down-500`)).toBe('open')
    })

    it('a half-open probe that succeeds closes the circuit', () => {
      const health = built.services.admin.routing.health
      const id = 'prv_config_healthy-probe'
      for (let i = 0; i < 3; i++) health.recordFailure(id)
      expect(health.stateOf(id)).toBe('open')
      clock.advance(10_000)
      expect(health.tryAcquire({ providerAccountId: id, provider: 'x' })).toBe(true)
      expect(health.tryAcquire({ providerAccountId: id, provider: 'x' })).toBe(false)
      health.recordSuccess(id)
      expect(health.stateOf(id)).toBe('closed')
    })

    it("applies an organization's override to its keys only", async () => {
      const global = await publish({ routes: { shared: route([{ provider: 'healthy' }]) } })
      const override = await publish(
        { routes: { shared: route([{ provider: 'other-healthy' }]) } },
        organizationId as RoutePolicyScope,
      )
      const mine = await chat('shared')
      expect(mine.headers['x-ferry-route-policy-version']).toBe(String(override.version))
      expect(lastAccessLine().provider).toBe('other-healthy')
      const otherOrg = await built.services.admin.organizations.create(SETUP_AUDIT, { name: 'B' })
      const { secret: otherKey } = await built.services.admin.keys.create(SETUP_AUDIT, {
        organizationId: otherOrg.organizationId,
        name: 'k',
        environment: 'live',
      })
      const theirs = await chat('shared', {}, otherKey)
      expect(theirs.headers['x-ferry-route-policy-version']).toBe(String(global.version))
      expect(lastAccessLine().provider).toBe('healthy')
      // The override inherits what it does not name.
      const inherited = await chat('mock')
      expect(inherited.statusCode).toBe(200)
      expect(inherited.headers['x-ferry-route-policy-version']).toBe(String(global.version))
    })

    it("still limits requests to the key's model scopes", async () => {
      const { secret: scoped } = await built.services.admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'scoped',
        environment: 'live',
        scopes: { models: ['shared'], endpoints: null },
      })
      expect((await chat('shared', {}, scoped)).statusCode).toBe(200)
      expect((await chat('mock', {}, scoped)).statusCode).toBe(404)
    })

    it('keeps the version a request started with when a policy is published mid-flight', async () => {
      const before = await publish({
        routes: { 'mid-flight': route([{ provider: 'slow' }]) },
      })
      const inFlight = chat('mid-flight')
      await new Promise((resolve) => setTimeout(resolve, 50))
      const after = await publish({ routes: { 'mid-flight': route([{ provider: 'healthy' }]) } })
      const first = await inFlight
      expect(first.headers['x-ferry-route-policy-version']).toBe(String(before.version))
      const second = await chat('mid-flight')
      expect(second.headers['x-ferry-route-policy-version']).toBe(String(after.version))
    })
  })
}
