import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EMPTY_BUDGET_POLICY,
  WEBHOOK_SIGNATURE_HEADER,
  verifyWebhookSignature,
} from '../../../src/budgets/index.js'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { deriveKey } from '../../../src/secrets/derive-key.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { buildTestApp, TEST_MASTER_KEY } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Issue #7: a balance threshold crossed by a real /v1 request is recorded once, as a system
 * audit event citing the request, and POSTed, signed, to the configured webhook — end to end,
 * through settlement, not only at service level.
 */
const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])

for (const dialect of testDialects()) {
  describe(`${dialect}: a threshold crossed by a /v1 request reaches the webhook`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>
    let server: Server
    const received: { headers: IncomingMessage['headers']; body: string }[] = []

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (chunk: Buffer) => (body += chunk.toString()))
        req.on('end', () => {
          received.push({ headers: req.headers, body })
          res.statusCode = 204
          res.end()
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as AddressInfo
      testDb = await createTestDb(dialect)
      built = buildTestApp({
        db: testDb.db,
        budgets: { webhookUrl: `http://127.0.0.1:${port}/hooks`, webhookTimeoutMs: 2_000 },
      })
      await built.services.models.ready()
      await built.app.ready()
    })
    /** An organization policy with these balance thresholds (no downgrade, no caps), in force. */
    async function publishThresholds(
      organizationId: string,
      thresholds: { warnBelowMicros: bigint | null; blockBelowMicros: bigint | null },
    ) {
      await built.services.admin.budgetPolicies.publish(SETUP_AUDIT, {
        organizationId,
        keyId: null,
        content: {
          ...EMPTY_BUDGET_POLICY,
          thresholds: { ...thresholds, downgradeBelowMicros: null },
        },
      })
      await built.services.budgetBook.reload()
    }
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })

    it('records one crossing per threshold and posts it signed, citing the request', async () => {
      const admin = built.services.admin
      await admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
      await built.services.priceBook.reload()
      const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
      const { secret } = await admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
      const funded = 1_000_000n
      await admin.billing.credit(SETUP_BILLING_ACTOR, {
        organizationId,
        environment: 'live',
        amountMicros: funded,
        category: 'paid',
        idempotencyKey: idempotencyKey('threshold'),
      })
      // Warn once the balance falls below what it is now: the first charge crosses it.
      await publishThresholds(organizationId, { warnBelowMicros: funded, blockBelowMicros: null })

      const post = () =>
        built.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${secret}` },
          payload: {
            model: 'mock',
            messages: [{ role: 'user', content: 'Hi.' }],
            max_tokens: 20,
          },
        })
      const first = await post()
      expect(first.statusCode).toBe(200)
      expect((await post()).statusCode).toBe(200)
      await built.services.thresholdEvents.drain()

      const events = await testDb.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'budget.threshold_crossed')
        .where('organization_id', '=', organizationId)
        .execute()
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ actor_type: 'system' })
      expect(events[0]!.evidence_json).toContain(String(first.headers['x-request-id']))

      await expect.poll(() => received.length).toBe(1)
      const [message] = received
      const signingKey = deriveKey(TEST_MASTER_KEY, 'webhook-signing')
      expect(
        verifyWebhookSignature({
          key: signingKey,
          header: message!.headers[WEBHOOK_SIGNATURE_HEADER] as string,
          body: message!.body,
        }),
      ).toBe(true)
      expect(JSON.parse(message!.body)).toMatchObject({
        type: 'budget.threshold_crossed',
        organizationId,
        threshold: 'warn',
        direction: 'down',
        requestId: first.headers['x-request-id'],
      })
    })

    it('records the crossings an admin debit or credit causes, with no request to settle', async () => {
      const admin = built.services.admin
      const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Debited' })
      await admin.billing.credit(SETUP_BILLING_ACTOR, {
        organizationId,
        environment: 'live',
        amountMicros: 1_000_000n,
        category: 'paid',
        idempotencyKey: idempotencyKey('debited-fund'),
      })
      await publishThresholds(organizationId, {
        warnBelowMicros: 800_000n,
        blockBelowMicros: 500_000n,
      })
      const crossings = async () =>
        (
          await testDb.db
            .selectFrom('audit_events')
            .select('after_json')
            .where('action', '=', 'budget.threshold_crossed')
            .where('organization_id', '=', organizationId)
            .orderBy('sequence')
            .execute()
        ).map((e) => {
          const { threshold, direction } = (
            JSON.parse(e.after_json!) as { crossing: { threshold: string; direction: string } }
          ).crossing
          return `${threshold} ${direction}`
        })
      const adjust = (direction: 'credit' | 'debit', amountMicros: bigint, key: string) =>
        admin.billing.adjust(SETUP_BILLING_ACTOR, {
          organizationId,
          environment: 'live',
          direction,
          amountMicros,
          idempotencyKey: idempotencyKey(key),
        })
      // The test environment's balance is its own: funding it crosses nothing.
      await admin.billing.credit(SETUP_BILLING_ACTOR, {
        organizationId,
        environment: 'test',
        amountMicros: 100n,
        category: 'paid',
        idempotencyKey: idempotencyKey('debited-test'),
      })
      // Below warn, then below block: requests are refused from here, so nothing settles.
      await adjust('debit', 300_000n, 'debit-1')
      await expect.poll(crossings).toEqual(['warn down'])
      await adjust('debit', 300_000n, 'debit-2')
      await expect.poll(crossings).toEqual(['warn down', 'block down'])
      await adjust('credit', 1_000_000n, 'credit-back')
      await expect.poll(crossings).toHaveLength(4)
      expect((await crossings()).slice(2).sort()).toEqual(['block up', 'warn up'])
    })
  })
}
