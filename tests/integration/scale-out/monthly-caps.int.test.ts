import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BudgetPolicyContent } from '../../../src/budgets/index.js'
import { createSharedMonthTotals, EMPTY_BUDGET_POLICY } from '../../../src/budgets/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { MOCK_PRICES } from '../../support/priced-customer.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Issue #10: with `billing.holds: database`, monthly limits are counted in the database and each
 * request reserves on them in its hold's transaction, so two gateway instances on one database
 * never jointly admit more than a hard cap (or a blocking token limit) covers. Each instance
 * counting its own month-to-date (the single-process path) admits up to the cap on each, and
 * concurrent requests on one instance all see the same month-to-date.
 */
const MAX_TOKENS = 16
// Completion tokens equal to max_tokens: each request costs exactly its hold.
const chat = {
  model: `mock?completionTokens=${MAX_TOKENS}`,
  messages: [{ role: 'user', content: 'Hello there.' }],
  max_tokens: MAX_TOKENS,
}
const FUNDS = 1_000_000_000n
const CONCURRENT = 40
const COVERED = 5

for (const dialect of testDialects()) {
  describe(`${dialect}: monthly caps across two gateway instances on one database`, () => {
    let testDb: TestDb
    let a: ReturnType<typeof buildTestApp>
    let b: ReturnType<typeof buildTestApp>
    let perRequest: {
      costMicros: bigint
      holdMicros: bigint
      tokens: bigint
      reservedTokens: bigint
    }
    /** A cap that covers `n` requests: n − 1 spent, and the last one's whole reservation. */
    const covering = (n: number, used: bigint, reserved: bigint) => BigInt(n - 1) * used + reserved

    const admin = () => a.services.admin
    async function customer(name: string) {
      const { organizationId } = await admin().organizations.create(SETUP_AUDIT, { name })
      const { secret, key } = await admin().keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
      const keyId = key.keyId
      await admin().billing.credit(SETUP_BILLING_ACTOR, {
        organizationId,
        environment: 'live',
        amountMicros: FUNDS,
        category: 'paid',
        idempotencyKey: idempotencyKey(name),
      })
      return { organizationId, keyId, secret }
    }
    async function publishBudget(
      where: { organizationId: string; keyId: string | null },
      content: Partial<BudgetPolicyContent>,
    ) {
      await admin().budgetPolicies.publish(SETUP_AUDIT, {
        ...where,
        content: { ...EMPTY_BUDGET_POLICY, ...content },
      })
      await Promise.all([a.services.budgetBook.reload(), b.services.budgetBook.reload()])
    }
    const post = (app: ReturnType<typeof buildTestApp>, secret: string) =>
      app.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}` },
        payload: chat,
      })
    /** CONCURRENT requests at once, alternating between the two instances. */
    async function burst(secret: string) {
      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) => post(i % 2 === 0 ? a : b, secret)),
      )
      const admitted = responses.filter((r) => r.statusCode === 200)
      const refused = responses.filter((r) => r.statusCode === 429)
      expect(responses.length - admitted.length - refused.length).toBe(0)
      for (const r of refused)
        expect(r.json()).toMatchObject({ error: { code: 'insufficient_quota' } })
      return { admitted: admitted.length, refused: refused.length }
    }
    const chargedTo = async (organizationId: string) => {
      const rows = await testDb.db
        .selectFrom('usage_events')
        .select(['cost_micros', 'prompt_tokens', 'completion_tokens'])
        .where('organization_id', '=', organizationId)
        .execute()
      return {
        spendMicros: rows.reduce((s, r) => s + r.cost_micros, 0n),
        tokens: rows.reduce((s, r) => s + BigInt(r.prompt_tokens + r.completion_tokens), 0n),
        requests: rows.filter((r) => r.completion_tokens > 0).length,
      }
    }
    const monthRow = (scope: string) =>
      testDb.db
        .selectFrom('budget_month_totals')
        .selectAll()
        .where('scope', '=', scope)
        .executeTakeFirstOrThrow()

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      a = buildTestApp({ db: testDb.db, billing: { holds: 'database' } })
      b = buildTestApp({ db: testDb.db, billing: { holds: 'database' } })
      await admin().pricing.publish(SETUP_AUDIT, { rows: MOCK_PRICES })
      await Promise.all([a.services.priceBook.reload(), b.services.priceBook.reload()])
      await Promise.all([a.app.ready(), b.app.ready()])
      const probe = await customer('Probe')
      const response = await post(a, probe.secret)
      expect(response.statusCode).toBe(200)
      const { usage } = response.json<{
        usage: { prompt_tokens: number; completion_tokens: number }
      }>()
      expect(usage.completion_tokens).toBe(MAX_TOKENS)
      // What a request reserves (its hold: the prompt as Ferry bounds it + max_tokens) may be a
      // little more than what it then uses.
      const { amount_micros: holdMicros } = await testDb.db
        .selectFrom('ledger_holds')
        .select('amount_micros')
        .executeTakeFirstOrThrow()
      const boundedPrompt = holdMicros - 2n * BigInt(MAX_TOKENS)
      perRequest = {
        costMicros: BigInt(usage.prompt_tokens) + 2n * BigInt(usage.completion_tokens),
        holdMicros,
        tokens: BigInt(usage.prompt_tokens + usage.completion_tokens),
        reservedTokens: boundedPrompt + BigInt(MAX_TOKENS),
      }
    })
    afterAll(async () => {
      await a?.app.close()
      await b?.app.close()
      await testDb?.destroy()
    })

    it('admits no more requests than the hard cap covers, across both instances', async () => {
      const org = await customer('Hard cap')
      const cap = covering(COVERED, perRequest.costMicros, perRequest.holdMicros)
      await publishBudget(
        { organizationId: org.organizationId, keyId: null },
        {
          hardCapMicros: cap,
          overage: 'allow',
        },
      )
      const { admitted } = await burst(org.secret)
      // At most COVERED; at least as many as fit while all are in flight at once.
      expect(admitted).toBeLessThanOrEqual(COVERED)
      expect(admitted).toBeGreaterThanOrEqual(Number(cap / perRequest.holdMicros))
      const charged = await chargedTo(org.organizationId)
      expect(charged.spendMicros).toBeLessThanOrEqual(cap)
      expect(charged.requests).toBe(admitted)
      const row = await monthRow(`org:${org.organizationId}`)
      expect(row.spend_micros).toBe(charged.spendMicros)
      expect(row.reserved_spend_micros).toBe(0n)
      expect(row.reserved_tokens).toBe(0n)
      expect(await testDb.db.selectFrom('budget_reservations').selectAll().execute()).toEqual([])
      // Then one by one, until the cap is spent: it stops at COVERED on either instance.
      let more = admitted
      for (let i = 0; i < COVERED + 1; i++)
        if ((await post(i % 2 === 0 ? a : b, org.secret)).statusCode === 200) more += 1
      expect(more).toBe(COVERED)
      expect((await chargedTo(org.organizationId)).spendMicros).toBeLessThanOrEqual(cap)
    })

    it('admits no more requests than a blocking monthly token limit covers, across both', async () => {
      const org = await customer('Token limit')
      const limit = covering(COVERED, perRequest.tokens, perRequest.reservedTokens)
      await publishBudget(
        { organizationId: org.organizationId, keyId: org.keyId },
        {
          monthlyTokenLimit: limit,
          overage: 'block',
        },
      )
      const { admitted } = await burst(org.secret)
      expect(admitted).toBeLessThanOrEqual(COVERED)
      expect(admitted).toBeGreaterThanOrEqual(Number(limit / perRequest.reservedTokens))
      const charged = await chargedTo(org.organizationId)
      expect(charged.tokens).toBeLessThanOrEqual(limit)
      const row = await monthRow(`key:${org.keyId}`)
      expect(row.tokens).toBe(charged.tokens)
      expect(row.reserved_tokens).toBe(0n)
    })

    it('counts the month spent before the first reservation, from the usage events', async () => {
      const org = await customer('Spent before')
      for (let i = 0; i < 2; i++) expect((await post(b, org.secret)).statusCode).toBe(200)
      // The cap is published after two requests: it leaves room for COVERED − 2 more.
      await publishBudget(
        { organizationId: org.organizationId, keyId: null },
        {
          hardCapMicros: covering(COVERED, perRequest.costMicros, perRequest.holdMicros),
        },
      )
      const { admitted } = await burst(org.secret)
      expect(admitted).toBeLessThanOrEqual(COVERED - 2)
      expect(admitted).toBeGreaterThan(0)
    })

    it('releases the reservation of a request whose process died, once it expires', async () => {
      const org = await customer('Crashed')
      await publishBudget(
        { organizationId: org.organizationId, keyId: null },
        {
          hardCapMicros: 1_000n,
        },
      )
      const clock = createManualClock(Date.now())
      const shared = createSharedMonthTotals({ db: testDb.db, clock, reservationTtlMs: 60_000 })
      const scope = `org:${org.organizationId}`
      const month = new Date(clock.nowMs()).toISOString().slice(0, 7)
      const policy = a.services.budgetBook.policiesFor({
        organizationId: org.organizationId,
        keyId: org.keyId,
      }).organization!.content
      await shared.totals(month, [scope])
      await shared.reserve(
        shared.draft({ month, scopes: [{ scope, policy }], spendMicros: 600n, tokens: 10n }),
      )
      // A second reservation that would pass 1,000 is refused while the first is in flight.
      await expect(
        shared.reserve(
          shared.draft({ month, scopes: [{ scope, policy }], spendMicros: 600n, tokens: 10n }),
        ),
      ).rejects.toMatchObject({ reason: 'hard_cap_reached' })
      expect(await shared.reapExpired()).toBe(0)
      clock.advance(60_000)
      expect(await shared.reapExpired()).toBe(1)
      expect((await shared.totals(month, [scope])).get(scope)).toEqual({
        spendMicros: 0n,
        tokens: 0n,
      })
    })
  })
}
