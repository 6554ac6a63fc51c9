import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decideSettlement, type SettlementOutcome } from '../../src/billing/index.js'
import { PriceRowsSchema } from '../../src/pricing/index.js'
import { SETUP_AUDIT } from '../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../support/billing-fixtures.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, type TestDb } from '../support/test-db.js'

/**
 * Every way a stream can end settles exactly once, by the rule table, and leaves no hold:
 * client aborts at the first, a middle and the last chunk (over a real socket), upstream
 * failures before and after the first byte, and an upstream that reports no usage.
 */
const CHUNKS = 12
/** The rule (`ruleId@version`) the settlement rules apply to an outcome. */
const ruleOf = (outcome: SettlementOutcome) => decideSettlement({ outcome, costMicros: 1n }).rule
const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])

describe('stream outcomes settle once, by the rules', () => {
  let testDb: TestDb
  let built: ReturnType<typeof buildTestApp>
  let baseUrl: string
  let secret: string
  let organizationId: string

  beforeAll(async () => {
    testDb = await createTestDb('sqlite')
    built = buildTestApp({ db: testDb.db })
    await built.services.models.ready()
    await built.app.listen({ host: '127.0.0.1', port: 0 })
    baseUrl = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`
    const admin = built.services.admin
    await admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
    await built.services.priceBook.reload()
    organizationId = (await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' }))
      .organizationId
    secret = (
      await admin.keys.create(SETUP_AUDIT, { organizationId, name: 'k', environment: 'live' })
    ).secret
    await admin.billing.credit(SETUP_BILLING_ACTOR, {
      organizationId,
      environment: 'live',
      amountMicros: 100_000_000n,
      category: 'paid',
      idempotencyKey: idempotencyKey('stream'),
    })
  })
  afterAll(async () => {
    await built.app.close()
    await testDb.destroy()
  })

  /** Stream `model`; leave after `leaveAfter` data frames (undefined: read to the end). */
  function stream(model: string, leaveAfter?: number) {
    return new Promise<{ requestId: string; status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      })
      req.on('error', (err) => (leaveAfter === undefined ? reject(err) : undefined))
      req.on('response', (res: IncomingMessage) => {
        const requestId = String(res.headers['x-request-id'])
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (text: string) => {
          body += text
          const frames = body.split('\n\n').filter((f) => f.startsWith('data: ')).length
          if (leaveAfter !== undefined && frames >= leaveAfter) {
            req.destroy()
            resolve({ requestId, status: res.statusCode ?? 0, body })
          }
        })
        res.on('end', () => resolve({ requestId, status: res.statusCode ?? 0, body }))
        res.on('error', () => undefined)
      })
      req.end(
        JSON.stringify({
          model,
          messages: [{ role: 'user', content: 'Count to twelve.' }],
          stream: true,
          max_tokens: 100,
        }),
      )
    })
  }

  const entriesFor = (requestId: string) =>
    testDb.db.selectFrom('ledger_entries').selectAll().where('request_id', '=', requestId).execute()

  async function settlementOf(requestId: string) {
    await expect.poll(async () => (await entriesFor(requestId)).length).toBeGreaterThan(0)
    // Nothing else arrives later: one settlement per request.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const entries = await entriesFor(requestId)
    expect(entries).toHaveLength(1)
    await expect.poll(() => built.services.billing.holds.openHoldCount()).toBe(0)
    return entries[0]!
  }

  const slow = `mock?completionTokens=${CHUNKS}&chunkDelayMs=15`
  it.each([
    ['the first chunk', 1],
    ['a middle chunk', CHUNKS / 2],
    ['the last chunk', CHUNKS],
  ])('a client abort at %s charges the input and what was delivered', async (_, at) => {
    const { requestId } = await stream(slow, at)
    const entry = await settlementOf(requestId)
    expect(entry.kind).toBe('usage_charge')
    expect(entry.settlement_rule).toBe(ruleOf('client_aborted'))
    expect(entry.amount_micros).toBeLessThan(0n)
  })

  it('a completed stream is charged its reported usage', async () => {
    const { requestId, body } = await stream(`mock?completionTokens=${CHUNKS}`)
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true)
    const entry = await settlementOf(requestId)
    expect(entry.settlement_rule).toBe(ruleOf('completed'))
  })

  it('an upstream failure before the first byte is waived (a zero-sum entry)', async () => {
    const { requestId, status } = await stream('mock?failStatus=503')
    expect(status).toBe(503)
    const entry = await settlementOf(requestId)
    expect(entry.amount_micros).toBe(0n)
    expect(entry.settlement_rule).toBe(ruleOf('upstream_failed_no_output'))
  })

  it('an upstream failure after the first byte charges what was delivered', async () => {
    const { requestId, body } = await stream(`mock?completionTokens=${CHUNKS}&failAfterChunks=3`)
    expect(body).toContain('"error"')
    const entry = await settlementOf(requestId)
    expect(entry.settlement_rule).toBe(ruleOf('upstream_failed_partial'))
    expect(entry.amount_micros).toBeLessThan(0n)
  })

  it('a stream without upstream usage is charged from counted tokens', async () => {
    const { requestId } = await stream(`mock?completionTokens=${CHUNKS}&omitUsage=true`)
    const entry = await settlementOf(requestId)
    expect(entry.settlement_rule).toBe(ruleOf('completed'))
    expect(entry.amount_micros).toBeLessThan(0n)
  })
})
