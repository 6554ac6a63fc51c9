import { request as httpRequest } from 'node:http'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { findUsageEventsOfRequest, type UsageEvent } from '../../../src/usage/index.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

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

for (const dialect of testDialects()) {
  describe(`${dialect}: one usage event per /v1 request, written with its settlement`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({ db: testDb.db })
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
      const created = await admin().keys.create(SETUP_AUDIT, {
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
          idempotencyKey: idempotencyKey('usage'),
        })
      return { organizationId: org.organizationId, secret: created.secret, key: created.key }
    }
    const post = (secret: string, payload: object, url = '/v1/chat/completions') =>
      built.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${secret}` },
        payload,
      })
    const eventsOf = (requestId: unknown) => findUsageEventsOfRequest(testDb.db, String(requestId))
    const onlyEventOf = async (requestId: unknown): Promise<UsageEvent> => {
      const events = await eventsOf(requestId)
      expect(events).toHaveLength(1)
      return events[0]!
    }

    it('records an unpriced request with its tokens, models and route, and no ledger entry', async () => {
      const { organizationId, secret, key } = await customer(null)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(200)
      const body = response.json<{ usage: { prompt_tokens: number; completion_tokens: number } }>()
      const event = await onlyEventOf(response.headers['x-request-id'])
      expect(event).toMatchObject({
        organizationId,
        keyId: key.keyId,
        keyLabel: key.label,
        environment: 'live',
        endpoint: 'chat.completions',
        modelRequested: 'mock',
        modelServed: 'mock',
        provider: 'mock',
        routePolicyVersion: '0',
        promptTokens: body.usage.prompt_tokens,
        completionTokens: body.usage.completion_tokens,
        promptTokensSource: 'reported',
        costMicros: 0n,
        ledgerEntryId: null,
        // How the request ended; nothing was held, so no ledger entry settles it.
        settlementOutcome: 'completed',
        priceTableVersion: null,
        httpStatus: 200,
        upstreamStatus: 200,
        attempts: 1,
        stream: false,
        refundState: 'none',
      })
      expect(event.latencyMs).toBeGreaterThanOrEqual(0)
      expect(event.upstreamTtfbMs).not.toBeNull()
    })

    it('records a priced request with the charge its ledger entry posted, in one transaction', async () => {
      await admin().pricing.publish(SETUP_AUDIT, { rows: PRICES })
      await built.services.priceBook.reload()
      const { secret } = await customer(1_000_000n)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(200)
      const event = await onlyEventOf(response.headers['x-request-id'])
      const entry = await testDb.db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('entry_id', '=', event.ledgerEntryId!)
        .executeTakeFirstOrThrow()
      expect(entry.kind).toBe('usage_charge')
      expect(event.costMicros).toBe(-entry.amount_micros)
      expect(event.costMicros).toBe(
        BigInt(event.promptTokens) * 1n + BigInt(event.completionTokens) * 2n,
      )
      // One instant for both: a period holds the same usage and the same ledger lines.
      expect(event.createdAt).toBe(entry.created_at)
      expect(event).toMatchObject({
        settlementOutcome: 'completed',
        settlementRule: entry.settlement_rule,
        budgetDecision: 'allow',
        priceTableVersion: expect.any(String) as string,
      })
      expect(event.heldMicros).toBeGreaterThanOrEqual(event.costMicros)
    })

    it('records a request the balance refused: 429, its reason, nothing charged', async () => {
      const { secret } = await customer(5n)
      const response = await post(secret, chat())
      expect(response.statusCode).toBe(429)
      const event = await onlyEventOf(response.headers['x-request-id'])
      expect(event).toMatchObject({
        httpStatus: 429,
        errorCode: 'insufficient_quota',
        budgetDecision: 'block',
        budgetReason: 'insufficient_balance',
        costMicros: 0n,
        ledgerEntryId: null,
        attempts: 0,
        promptTokensSource: 'none',
      })
    })

    it('records a request refused before routing (unknown model) and a model listing', async () => {
      const { secret } = await customer(1_000_000n)
      const refused = await post(secret, chat({ model: 'no-such-model' }))
      expect(refused.statusCode).toBe(404)
      expect(await onlyEventOf(refused.headers['x-request-id'])).toMatchObject({
        httpStatus: 404,
        errorCode: 'model_not_found',
        endpoint: 'chat.completions',
      })
      const malformed = await built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        payload: '{"model":',
      })
      expect(malformed.statusCode).toBe(400)
      expect((await onlyEventOf(malformed.headers['x-request-id'])).httpStatus).toBe(400)
      const models = await built.app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${secret}` },
      })
      expect(models.statusCode).toBe(200)
      expect(await onlyEventOf(models.headers['x-request-id'])).toMatchObject({
        httpStatus: 200,
        endpoint: '/v1/models',
        costMicros: 0n,
      })
    })

    it('records nothing for a request without a valid key (no organization to bill)', async () => {
      const before = await testDb.db
        .selectFrom('usage_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      const response = await post('sk-ferry-not-a-key', chat())
      expect(response.statusCode).toBe(401)
      const after = await testDb.db
        .selectFrom('usage_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(after.n)).toBe(Number(before.n))
    })

    it('records a waived upstream failure with its waiver entry and the upstream status', async () => {
      const { secret } = await customer(1_000_000n)
      const response = await post(secret, chat({ model: 'mock?failStatus=503' }))
      expect(response.statusCode).toBeGreaterThanOrEqual(500)
      const event = await onlyEventOf(response.headers['x-request-id'])
      expect(event).toMatchObject({
        settlementOutcome: 'upstream_failed_no_output',
        costMicros: 0n,
        upstreamStatus: 503,
        httpStatus: response.statusCode,
      })
      expect(event.ledgerEntryId).not.toBeNull()
      expect(event.attempts).toBeGreaterThanOrEqual(1)
      expect(JSON.parse(event.attemptsJson!)).toEqual(
        expect.arrayContaining([expect.objectContaining({ upstreamStatus: 503 })]),
      )
    })

    it('records a stream: its outcome, chunks and the charge for what was delivered', async () => {
      const { secret } = await customer(1_000_000n)
      const completed = await post(
        secret,
        chat({ stream: true, stream_options: { include_usage: true } }),
      )
      expect(completed.statusCode).toBe(200)
      expect(await onlyEventOf(completed.headers['x-request-id'])).toMatchObject({
        stream: true,
        streamOutcome: 'completed',
        settlementOutcome: 'completed',
        httpStatus: 200,
      })
      const broken = await post(secret, chat({ model: 'mock?failAfterChunks=2', stream: true }))
      const event = await onlyEventOf(broken.headers['x-request-id'])
      expect(event).toMatchObject({
        stream: true,
        streamOutcome: 'upstream_failed',
        settlementOutcome: 'upstream_failed_partial',
        httpStatus: 200,
        completionTokensSource: 'estimated',
      })
      expect(event.costMicros).toBeGreaterThan(0n)
      expect(event.chunksDelivered).toBeGreaterThan(0)
    })

    it('charges a JSON request the client abandoned its input, and records it as a client abort', async () => {
      const { organizationId, secret } = await customer(1_000_000n)
      const address = await built.app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = new URL(address)
      const requestId = `req_abandon_${dialect}`
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: Number(port),
          method: 'POST',
          path: '/v1/chat/completions',
          headers: {
            authorization: `Bearer ${secret}`,
            'content-type': 'application/json',
            'x-request-id': requestId,
          },
        })
        req.on('error', () => resolve())
        req.end(JSON.stringify(chat({ model: 'mock?latencyMs=5000' })))
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 300)
      })
      let events: UsageEvent[] = []
      for (let i = 0; i < 100 && events.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50))
        events = await eventsOf(requestId)
      }
      expect(events).toHaveLength(1)
      const event = events[0]!
      expect(event).toMatchObject({
        organizationId,
        settlementOutcome: 'client_aborted',
        httpStatus: 499,
        completionTokens: 0,
        promptTokensSource: 'estimated',
      })
      expect(event.promptTokens).toBeGreaterThan(0)
      expect(event.costMicros).toBe(BigInt(event.promptTokens))
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
    })

    it('keeps usage events append-only', async () => {
      await expect(sql`UPDATE usage_events SET cost_micros = 0`.execute(testDb.db)).rejects.toThrow(
        /append-only/,
      )
      await expect(sql`DELETE FROM usage_events`.execute(testDb.db)).rejects.toThrow(/append-only/)
    })
  })
}
