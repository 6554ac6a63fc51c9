import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMPTY_BUDGET_POLICY } from '../../../src/budgets/index.js'
import { recordReliability } from '../../support/reliability-log.js'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../../../src/config/resolve-provider-accounts.js'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { configuredAccount } from '../../support/configured-account.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

function mockAccount(name: string, models: string[], settings: Record<string, unknown>) {
  return configuredAccount({ name, kind: 'mock', baseUrl: 'http://mock.invalid', models, settings })
}

// $1 per 1M input tokens, $2 per 1M output tokens: 1 and 2 micros per token.
const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])
const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'mock',
  messages: [{ role: 'user', content: 'Say something.' }],
  max_tokens: 50,
  ...extra,
})

for (const dialect of testDialects()) {
  describe(`${dialect}: every /v1 request is priced, held and settled`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>
    const WINDOW = 40

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({
        db: testDb.db,
        providerAccounts: [
          BUILTIN_MOCK_PROVIDER_ACCOUNT,
          mockAccount('down', ['flaky'], { failStatus: 503 }),
        ],
        billing: { holdWindowTokens: WINDOW },
      })
      await built.services.models.ready()
      await built.app.ready()
    })
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
    })

    const admin = () => built.services.admin
    async function customer(fundMicros: bigint | null) {
      const org = await admin().organizations.create(SETUP_AUDIT, { name: 'Acme' })
      const { secret } = await admin().keys.create(SETUP_AUDIT, {
        organizationId: org.organizationId,
        name: 'k',
        environment: 'live',
      })
      if (fundMicros !== null)
        await admin().billing.credit(SETUP_BILLING_ACTOR, {
          organizationId: org.organizationId,
          environment: 'live',
          amountMicros: fundMicros,
          category: 'paid',
          idempotencyKey: idempotencyKey('meter'),
        })
      return { organizationId: org.organizationId, secret }
    }
    const post = (secret: string, payload: object, url = '/v1/chat/completions') =>
      built.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${secret}` },
        payload,
      })
    const balanceOf = async (organizationId: string) =>
      (await built.services.billing.holds.available(organizationId, 'live')) ?? 0n
    const entriesOf = (organizationId: string) =>
      testDb.db
        .selectFrom('ledger_entries')
        .innerJoin('ledger_accounts', 'ledger_accounts.account_id', 'ledger_entries.account_id')
        .selectAll('ledger_entries')
        .where('ledger_accounts.organization_id', '=', organizationId)
        .execute()

    it('serves an unpriced deployment without holds or charges', async () => {
      const { organizationId, secret } = await customer(null)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(200)
      expect(await entriesOf(organizationId)).toEqual([])
    })

    it('refuses what the balance cannot cover with 429 insufficient_quota, charging nothing', async () => {
      await admin().pricing.publish(SETUP_AUDIT, { rows: PRICES })
      await built.services.priceBook.reload()
      const { organizationId, secret } = await customer(10n)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(429)
      expect(response.headers['x-should-retry']).toBe('false')
      expect(response.json()).toMatchObject({
        error: { type: 'insufficient_quota', code: 'insufficient_quota' },
      })
      expect(await balanceOf(organizationId)).toBe(10n)
      expect((await entriesOf(organizationId)).map((e) => e.kind)).toEqual(['credit'])
    })

    it('charges a completed request its reported usage at the served price, once', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(200)
      const { usage } = response.json<{
        usage: { prompt_tokens: number; completion_tokens: number }
      }>()
      const cost = BigInt(usage.prompt_tokens) * 1n + BigInt(usage.completion_tokens) * 2n
      expect(await balanceOf(organizationId)).toBe(1_000_000n - cost)
      const charges = (await entriesOf(organizationId)).filter((e) => e.kind === 'usage_charge')
      expect(charges).toHaveLength(1)
      expect(charges[0]?.amount_micros).toBe(-cost)
      expect(charges[0]?.request_id).toBe(response.headers['x-request-id'])
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    it('waives an upstream failure that delivered nothing and releases the hold', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const response = await post(secret, chat({ model: 'flaky' }))
      expect(response.statusCode).toBe(503)
      const entries = await entriesOf(organizationId)
      expect(entries.map((e) => e.kind).sort()).toEqual(['credit', 'usage_waiver'])
      // Zero-sum, and it says what was waived: the counted input at 1 micro a token.
      const waiver = entries.find((e) => e.kind === 'usage_waiver')!
      expect(waiver.amount_micros).toBe(0n)
      expect(waiver.waived_micros).toBeGreaterThan(0n)
      expect(await balanceOf(organizationId)).toBe(1_000_000n)
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    it('charges a stream that broke after the first chunk for what was delivered', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const response = await post(secret, chat({ model: 'mock?failAfterChunks=2', stream: true }))
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain('"error"')
      const entries = await entriesOf(organizationId)
      const settlements = entries.filter((e) => e.kind === 'usage_charge')
      expect(settlements).toHaveLength(1)
      expect(settlements[0]!.amount_micros).toBeLessThan(0n)
      expect(await balanceOf(organizationId)).toBe(1_000_000n + settlements[0]!.amount_micros)
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    const publishBudget = async (organizationId: string, content: Record<string, unknown>) => {
      await admin().budgetPolicies.publish(SETUP_AUDIT, {
        organizationId,
        keyId: null,
        content: { ...EMPTY_BUDGET_POLICY, ...content },
      })
      await built.services.budgetBook.reload()
    }

    it('blocks by the budget policy with 429 insufficient_quota once the month is spent', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const first = await post(secret, chat())
      expect(first.statusCode).toBe(200)
      const line = built.logs
        .records()
        .findLast((r) => r.requestId === first.headers['x-request-id'] && 'status' in r)
      const held = BigInt(line?.heldMicros as string)
      // A cap one micro above a request's maximum cost: a request alone fits under it, but not
      // on top of what the first one already spent this month.
      await publishBudget(organizationId, { monthlySpendCapMicros: held + 1n })
      const spentBefore = await balanceOf(organizationId)
      const second = await post(secret, chat())
      expect(second.statusCode).toBe(429)
      expect(second.json()).toMatchObject({ error: { code: 'insufficient_quota' } })
      expect(second.headers['x-should-retry']).toBe('false')
      expect(await balanceOf(organizationId)).toBe(spentBefore)
    })

    it("applies the budget policy's rate limits beside the key's own", async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      await publishBudget(organizationId, { rateLimits: { requestsPerMinute: 1 } })
      expect((await post(secret, chat())).statusCode).toBe(200)
      const limited = await post(secret, chat())
      expect(limited.statusCode).toBe(429)
      expect(limited.json()).toMatchObject({ error: { type: 'requests' } })
    })

    const streamOf = (secret: string, completionTokens: number) =>
      post(secret, {
        model: `mock?completionTokens=${completionTokens}`,
        messages: [{ role: 'user', content: 'Tell a long story.' }],
        stream: true,
        stream_options: { include_usage: true },
      })

    it('extends the hold window while a stream without max_tokens outgrows it', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const response = await streamOf(secret, 5 * WINDOW)
      expect(response.statusCode).toBe(200)
      expect(response.body.trimEnd().endsWith('data: [DONE]')).toBe(true)
      expect(response.body).not.toContain('"error"')
      const line = built.logs
        .records()
        .findLast((r) => r.requestId === response.headers['x-request-id'] && 'status' in r)
      // Held: the prompt plus, by now, several windows of output (2 micros a token).
      expect(BigInt(line?.heldMicros as string)).toBeGreaterThan(BigInt(4 * WINDOW * 2))
      const charge = (await entriesOf(organizationId)).find((e) => e.kind === 'usage_charge')
      expect(charge?.amount_micros).toBeLessThanOrEqual(-BigInt(5 * WINDOW * 2))
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    it('stops a stream whose balance cannot cover the next window, charging what was delivered', async () => {
      // The first window fits, a second does not.
      const { organizationId, secret } = await customer(BigInt(WINDOW * 2 + 60))
      const response = await streamOf(secret, 10 * WINDOW)
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain('"code":"insufficient_quota"')
      const charges = (await entriesOf(organizationId)).filter((e) => e.kind === 'usage_charge')
      expect(charges).toHaveLength(1)
      expect(charges[0]!.amount_micros).toBeLessThan(0n)
      expect(await balanceOf(organizationId)).toBeGreaterThanOrEqual(0n)
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    it('admits at most what the balance covers among many concurrent requests', async () => {
      // Each request holds at most prompt + 50 output tokens ≈ 120 micros; 1,000 micros
      // covers a handful of them at once, however many arrive together.
      const { organizationId, secret } = await customer(1_000n)
      const responses = await Promise.all(Array.from({ length: 200 }, () => post(secret, chat())))
      const admitted = responses.filter((r) => r.statusCode === 200).length
      const refused = responses.filter((r) => r.statusCode === 429).length
      expect(admitted + refused).toBe(200)
      expect(admitted).toBeGreaterThan(0)
      const balance = await balanceOf(organizationId)
      expect(balance).toBeGreaterThanOrEqual(0n)
      const entries = await entriesOf(organizationId)
      const spent = entries
        .filter((e) => e.kind === 'usage_charge')
        .reduce((sum, e) => sum - e.amount_micros, 0n)
      recordReliability({
        area: 'concurrency',
        check: `200 concurrent /v1 chat requests against a 1,000-micro balance (${dialect})`,
        cases: 200,
        failures: (spent > 1_000n ? 1 : 0) + (balance < 0n ? 1 : 0),
        expectation: 'spent ≤ balance, never below zero, 429 insufficient_quota for the rest',
        breakdown: { admitted, refused },
      })
      expect(spent).toBeLessThanOrEqual(1_000n)
      expect(entries.filter((e) => e.kind === 'usage_charge')).toHaveLength(admitted)
      expect(balance).toBe(1_000n - spent)
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })
  })
}
