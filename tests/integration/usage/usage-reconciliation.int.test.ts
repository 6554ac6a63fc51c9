import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../src/lib/clock.js'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { findUsageEventsOfRequest } from '../../../src/usage/index.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'
import { csvRecords } from '../../support/usage-fixtures.js'

// 1 micro per input token, 2 per output token.
const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])
const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'mock',
  messages: [{ role: 'user', content: 'Say something.' }],
  max_tokens: 50,
  ...extra,
})

async function collect(lines: AsyncIterable<string>): Promise<string> {
  let text = ''
  for await (const chunk of lines) text += chunk
  return text
}

for (const dialect of testDialects()) {
  describe(`${dialect}: the usage export reconciles to the ledger and the invoice`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>
    const clock = createManualClock(Date.UTC(2026, 2, 10, 12))

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({ db: testDb.db, clock })
      await built.services.models.ready()
      await built.app.ready()
      await built.services.admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
      await built.services.priceBook.reload()
    })
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
    })

    const admin = () => built.services.admin
    const post = (secret: string, payload: object) => {
      clock.advance(1000)
      return built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}` },
        payload,
      })
    }

    it('sums cost_micros to the month’s usage charges and the invoice, refunds included, to the micro', async () => {
      const org = await admin().organizations.create(SETUP_AUDIT, { name: 'Reconcile' })
      const organizationId = org.organizationId
      const live = await admin().keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'live',
        environment: 'live',
      })
      for (const environment of ['live', 'test'] as const)
        await admin().billing.credit(SETUP_BILLING_ACTOR, {
          organizationId,
          environment,
          amountMicros: 5_000_000n,
          category: 'paid',
          idempotencyKey: idempotencyKey('reconcile'),
        })
      const test = await admin().keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'test',
        environment: 'test',
      })
      // A month of mixed traffic: completed, streamed, refused by validation, waived failure,
      // a broken stream that is charged for what it delivered, and the test environment.
      const march = [
        await post(live.secret, chat()),
        await post(live.secret, chat({ max_tokens: 20 })),
        await post(live.secret, chat({ stream: true, stream_options: { include_usage: true } })),
        await post(live.secret, chat({ model: 'mock?failStatus=503' })),
        await post(live.secret, chat({ model: 'mock?failAfterChunks=2', stream: true })),
        await post(live.secret, chat({ model: 'no-such-model' })),
        await post(test.secret, chat()),
      ]
      const charged = (
        await findUsageEventsOfRequest(testDb.db, String(march[0]!.headers['x-request-id']))
      )[0]!
      const second = (
        await findUsageEventsOfRequest(testDb.db, String(march[1]!.headers['x-request-id']))
      )[0]!
      expect(charged.costMicros).toBeGreaterThan(1n)
      // A partial refund of one charge and a full refund of another, posted in the month.
      await admin().billing.refund(SETUP_BILLING_ACTOR, {
        organizationId,
        requestId: charged.requestId,
        settlementEntryId: charged.ledgerEntryId!,
        amountMicros: charged.costMicros / 2n,
        idempotencyKey: idempotencyKey('refund'),
      })
      await admin().billing.refund(SETUP_BILLING_ACTOR, {
        organizationId,
        requestId: second.requestId,
        settlementEntryId: second.ledgerEntryId!,
        amountMicros: second.costMicros,
        idempotencyKey: idempotencyKey('refund'),
      })
      // April's traffic is another period.
      clock.set(Date.UTC(2026, 3, 1, 0, 0, 1))
      expect((await post(live.secret, chat())).statusCode).toBe(200)

      const started = await built.services.usage.startExport(SETUP_AUDIT, {
        organizationId,
        environment: 'live',
        month: '2026-03',
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-04-01T00:00:00.000Z',
      })
      const records = csvRecords(await collect(started.lines))
      expect(records).toHaveLength(6)
      expect(records.every((r) => r.environment === 'live' && r.currency === 'USD')).toBe(true)
      const sum = (column: string) => records.reduce((s, r) => s + BigInt(r[column]!), 0n)
      const costMicros = sum('cost_micros')
      expect(costMicros).toBeGreaterThan(0n)
      expect(started.totals.costMicros).toBe(costMicros)

      // The ledger: every usage charge of the month, and the refunds citing these requests.
      const entries = await testDb.db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('environment', '=', 'live')
        .where('created_at', '>=', '2026-03-01T00:00:00.000Z')
        .where('created_at', '<', '2026-04-01T00:00:00.000Z')
        .execute()
      const ofKind = (kind: string) =>
        entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.amount_micros, 0n)
      expect(-ofKind('usage_charge')).toBe(costMicros)
      expect(ofKind('refund')).toBe(sum('refunded_micros'))
      expect(sum('refunded_micros')).toBe(charged.costMicros / 2n + second.costMicros)
      expect(sum('net_cost_micros')).toBe(costMicros - sum('refunded_micros'))

      // The invoice of the same month: its usage_charge lines and refund lines.
      const invoice = await admin().billing.invoice(SETUP_AUDIT, {
        organizationId,
        environment: 'live',
        month: '2026-03',
        format: 'json',
      })
      const lines = (kind: string) =>
        invoice.lines.filter((l) => l.kind === kind).reduce((s, l) => s + l.amountMicros, 0n)
      expect(-lines('usage_charge')).toBe(costMicros)
      expect(lines('refund')).toBe(sum('refunded_micros'))

      const byRequest = new Map(records.map((r) => [r.request_id, r]))
      expect(byRequest.get(charged.requestId)).toMatchObject({
        refund_state: 'partial',
        refunded_micros: String(charged.costMicros / 2n),
      })
      expect(byRequest.get(second.requestId)).toMatchObject({
        refund_state: 'full',
        net_cost_micros: '0',
      })
      const waived = byRequest.get(String(march[3]!.headers['x-request-id']))
      expect(waived).toMatchObject({
        settlement_outcome: 'upstream_failed_no_output',
        cost_micros: '0',
      })
      expect(BigInt(waived!.waived_micros!)).toBeGreaterThanOrEqual(0n)
      for (const r of records)
        expect(r.cost).toBe(
          `${BigInt(r.cost_micros!) / 1_000_000n}.${(BigInt(r.cost_micros!) % 1_000_000n).toString().padStart(6, '0')}`,
        )

      // The aggregate API agrees with both.
      const totals = await built.services.usage.totals({
        organizationId,
        environment: 'live',
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-04-01T00:00:00.000Z',
      })
      expect(totals.costMicros).toBe(costMicros)
      expect(totals.refundedMicros).toBe(sum('refunded_micros'))
    })
  })
}
