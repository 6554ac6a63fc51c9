import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog } from '../../../src/audit/index.js'
import {
  THRESHOLD_ACTOR_ID,
  WEBHOOK_SIGNATURE_HEADER,
  createThresholdEvents,
  createWebhookSender,
  verifyWebhookSignature,
  type ThresholdEvents,
  type WebhookSender,
} from '../../../src/budgets/index.js'
import { createLocalInvalidation } from '../../../src/invalidation/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { createOrganizationsService } from '../../../src/organizations/index.js'
import { deriveKey } from '../../../src/secrets/derive-key.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { TEST_MASTER_KEY } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

const THRESHOLDS = { warnBelowMicros: 1_000n, downgradeBelowMicros: 500n, blockBelowMicros: null }
const POLICY = { budgetPolicyId: 'bpv_test', version: 7 }

interface Received {
  headers: IncomingMessage['headers']
  body: string
}

/** A local webhook receiver; `failFirst` answers 503 to that many requests first. */
async function startReceiver(options: { failFirst: number }) {
  const received: Received[] = []
  let failures = options.failFirst
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      if (failures > 0) {
        failures -= 1
        res.statusCode = 503
      } else res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/ferry`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: budget threshold crossings`, () => {
    let testDb: TestDb
    let organizationId: string
    let newOrganization: () => Promise<string>
    const clock = createManualClock(Date.UTC(2026, 10, 1))
    const signingKey = deriveKey(TEST_MASTER_KEY, 'webhook-signing')
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      const organizations = createOrganizationsService({
        db: testDb.db,
        auditLog: createAuditLog({ db: testDb.db, clock }),
        clock,
        invalidation: createLocalInvalidation(),
      })
      newOrganization = async () =>
        (await organizations.create(SETUP_AUDIT, { name: 'Thresholds' })).organizationId
      organizationId = await newOrganization()
    })
    afterEach(async () => {
      await receiver?.close()
      receiver = undefined
    })
    afterAll(() => testDb.destroy())

    /** A fresh service: what a restarted (or another) gateway process would build. */
    function startInstance(
      webhook: WebhookSender | null = null,
      currentBalance?: () => bigint,
    ): ThresholdEvents {
      return createThresholdEvents({
        db: testDb.db,
        auditLog: createAuditLog({ db: testDb.db, clock }),
        clock,
        webhook,
        ...(currentBalance ? { currentBalance: () => Promise.resolve(currentBalance()) } : {}),
      })
    }

    async function crossingEvents() {
      return testDb.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'budget.threshold_crossed')
        .orderBy('sequence')
        .execute()
    }

    const observe = (events: ThresholdEvents, balanceMicros: bigint) =>
      events.observe({ organizationId, balanceMicros, thresholds: THRESHOLDS, policy: POLICY })

    it('records a crossing once, across a restart, and again only after the balance came back', async () => {
      const first = startInstance()
      expect(await observe(first, 5_000n)).toEqual([])
      const down = await observe(first, 800n)
      expect(down.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'down']])
      expect(await observe(first, 700n)).toEqual([])

      const restarted = startInstance()
      expect(await observe(restarted, 750n)).toEqual([])
      expect(await crossingEvents()).toHaveLength(1)

      const deeper = await observe(restarted, 100n)
      expect(deeper.map((c) => [c.threshold, c.direction])).toEqual([['downgrade', 'down']])
      const up = await observe(restarted, 2_000n)
      expect(up.map((c) => [c.threshold, c.direction])).toEqual([
        ['warn', 'up'],
        ['downgrade', 'up'],
      ])
      const again = await observe(restarted, 900n)
      expect(again.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'down']])

      const events = await crossingEvents()
      expect(events).toHaveLength(5)
      const event = events[0]!
      expect(event).toMatchObject({
        actor_type: 'system',
        actor_id: THRESHOLD_ACTOR_ID,
        organization_id: organizationId,
        target_type: 'budget_policy',
        target_id: POLICY.budgetPolicyId,
        policy_version: '7',
      })
      const after = JSON.parse(event.after_json!) as { crossing: Record<string, unknown> }
      expect(after.crossing).toMatchObject({
        threshold: 'warn',
        direction: 'down',
        thresholdMicros: '1000',
        balanceMicros: '800',
      })
    })

    it('records one event when two instances see the same crossing', async () => {
      const a = startInstance()
      const b = startInstance()
      const before = (await crossingEvents()).length
      // Both remember "above" for warn first (balance 900 → 2000 was seen by neither).
      await observe(a, 2_000n)
      await observe(b, 2_000n)
      const [fromA, fromB] = await Promise.all([observe(a, 10n), observe(b, 10n)])
      const recorded = [...fromA, ...fromB]
      expect(recorded.filter((c) => c.threshold === 'warn')).toHaveLength(1)
      expect(recorded.filter((c) => c.threshold === 'downgrade')).toHaveLength(1)
      const added = (await crossingEvents()).length - before
      expect(added).toBe(recorded.length + 1) // + the "up" that took warn above again
    })

    it('takes one organization’s observations in the order they came, so a quick way back is not lost', async () => {
      const org = await newOrganization()
      const events = startInstance()
      const at = (balanceMicros: bigint) =>
        events.observe({
          organizationId: org,
          balanceMicros,
          thresholds: THRESHOLDS,
          policy: POLICY,
        })
      const [down, up] = await Promise.all([at(800n), at(2_000n)])
      expect(down.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'down']])
      expect(up.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'up']])
      expect(await at(1_500n)).toEqual([])
    })

    it('records nothing for an observation the ledger’s balance has already overtaken', async () => {
      const org = await newOrganization()
      let ledgerBalance = 5_000n
      const a = startInstance(null, () => ledgerBalance)
      const b = startInstance(null, () => ledgerBalance)
      const at = (events: ThresholdEvents, balanceMicros: bigint) =>
        events.observe({
          organizationId: org,
          balanceMicros,
          thresholds: THRESHOLDS,
          policy: POLICY,
        })
      const mine = async () =>
        (await crossingEvents()).filter((e) => e.organization_id === org).length
      // A settlement took the balance to 800, a credit right after to 5,000; the credit's
      // observation came first (here: on another instance), the settlement's after it.
      expect(await at(b, 5_000n)).toEqual([])
      expect(await at(a, 800n)).toEqual([])
      expect(await mine()).toBe(0)
      // Once the ledger is below the threshold, the same observation is a crossing.
      ledgerBalance = 800n
      const down = await at(a, 800n)
      expect(down.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'down']])
      // And back: a stale "still below" from the other instance records nothing either.
      ledgerBalance = 3_000n
      expect(await at(b, 700n)).toEqual([])
      const up = await at(b, 3_000n)
      expect(up.map((c) => [c.threshold, c.direction])).toEqual([['warn', 'up']])
      expect(await mine()).toBe(2)
    })

    it('posts each crossing to the webhook, signed, retrying a failing receiver', async () => {
      receiver = await startReceiver({ failFirst: 1 })
      const sender = createWebhookSender({
        url: receiver.url,
        signingKey,
        nowMs: () => clock.nowMs(),
        retryDelayMs: 10,
        timeoutMs: 2_000,
      })
      const events = startInstance(sender)
      // Every crossing these two calls record goes out (the first may take thresholds back up).
      const crossings = [...(await observe(events, 5_000n)), ...(await observe(events, 400n))]
      expect(crossings.filter((c) => c.direction === 'down')).toHaveLength(2)
      await events.drain()

      // One refused attempt, then one delivery per crossing.
      expect(receiver.received).toHaveLength(crossings.length + 1)
      const ids = receiver.received.map(
        (m) => (JSON.parse(m.body) as { crossingId: string }).crossingId,
      )
      expect(new Set(ids)).toEqual(new Set(crossings.map((c) => c.crossingId)))
      for (const message of receiver.received) {
        const header = message.headers[WEBHOOK_SIGNATURE_HEADER]
        expect(typeof header).toBe('string')
        expect(
          verifyWebhookSignature({ key: signingKey, header: header as string, body: message.body }),
        ).toBe(true)
        expect(
          verifyWebhookSignature({
            key: deriveKey(Buffer.alloc(32, 9), 'webhook-signing'),
            header: header as string,
            body: message.body,
          }),
        ).toBe(false)
        expect(
          verifyWebhookSignature({
            key: signingKey,
            header: header as string,
            body: `${message.body} `,
          }),
        ).toBe(false)
        expect(JSON.parse(message.body)).toMatchObject({
          type: 'budget.threshold_crossed',
          organizationId,
        })
      }
    })

    it('never lets a dead webhook fail the crossing or block the caller', async () => {
      const errors: unknown[] = []
      const sender = createWebhookSender({
        url: 'http://127.0.0.1:9/unreachable',
        signingKey,
        nowMs: () => clock.nowMs(),
        maxAttempts: 2,
        retryDelayMs: 5,
        onError: (err) => errors.push(err),
      })
      const events = startInstance(sender)
      const recorded = [...(await observe(events, 5_000n)), ...(await observe(events, 10n))]
      expect(recorded.filter((c) => c.direction === 'down')).toHaveLength(2)
      await events.drain()
      expect(errors).toHaveLength(recorded.length)
    })
  })
}
