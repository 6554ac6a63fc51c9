import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../src/lib/clock.js'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])
const chat = {
  model: 'mock',
  messages: [{ role: 'user', content: 'Say something.' }],
  max_tokens: 50,
}

for (const dialect of testDialects()) {
  describe(`${dialect}: monthly caps survive a restart (issue #7)`, () => {
    let testDb: TestDb
    const clock = createManualClock(Date.UTC(2026, 4, 20, 12))
    const apps: ReturnType<typeof buildTestApp>[] = []

    async function startApp() {
      const built = buildTestApp({ db: testDb.db, clock })
      apps.push(built)
      await built.services.models.ready()
      await Promise.all([built.services.priceBook.ready(), built.services.budgetBook.ready()])
      await built.app.ready()
      return built
    }

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
    })
    afterAll(async () => {
      for (const built of apps) await built.app.close()
      await testDb.destroy()
    })

    const post = (built: ReturnType<typeof buildTestApp>, secret: string) =>
      built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}` },
        payload: chat,
      })

    it('blocks after a restart on a cap reached before it, and lets the next month start at zero', async () => {
      const first = await startApp()
      const admin = first.services.admin
      await admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
      await first.services.priceBook.reload()
      const org = await admin.organizations.create(SETUP_AUDIT, { name: 'Capped' })
      const organizationId = org.organizationId
      const { secret, key } = await admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
      await admin.billing.credit(SETUP_BILLING_ACTOR, {
        organizationId,
        environment: 'live',
        amountMicros: 10_000_000n,
        category: 'paid',
        idempotencyKey: idempotencyKey('cap'),
      })
      const ok = await post(first, secret)
      expect(ok.statusCode).toBe(200)
      const held = BigInt(
        first.logs.records().findLast((r) => r.requestId === ok.headers['x-request-id'])
          ?.heldMicros as string,
      )
      // One request fits under the cap; a second one this month does not.
      await admin.budgetPolicies.publish(SETUP_AUDIT, {
        organizationId,
        keyId: null,
        content: {
          monthlyTokenLimit: null,
          monthlySpendCapMicros: held + 1n,
          hardCapMicros: null,
          thresholds: { warnBelowMicros: null, downgradeBelowMicros: null, blockBelowMicros: null },
          overage: 'block',
          rateLimits: {},
        },
      })
      await first.services.budgetBook.reload()
      expect((await post(first, secret)).statusCode).toBe(429)
      await first.app.close()

      // A new process on the same database: the month so far is loaded from the usage events.
      const second = await startApp()
      const refused = await post(second, secret)
      expect(refused.statusCode).toBe(429)
      expect(refused.json()).toMatchObject({ error: { code: 'insufficient_quota' } })
      const spent = (await second.services.usage.totals({ keyId: key.keyId })).costMicros
      expect(spent).toBeGreaterThan(0n)

      // June: the cap counts from zero again.
      clock.set(Date.UTC(2026, 5, 1, 0, 0, 1))
      expect((await post(second, secret)).statusCode).toBe(200)
      expect((await post(second, secret)).statusCode).toBe(429)
      // And a restart in June counts only June.
      await second.app.close()
      const third = await startApp()
      expect((await post(third, secret)).statusCode).toBe(429)
      const seeded = await third.services.seedMonthToDate()
      expect(seeded).toMatchObject({ month: '2026-06', seeded: true })
      expect(seeded.scopes).toBe(2)
    })
  })
}
