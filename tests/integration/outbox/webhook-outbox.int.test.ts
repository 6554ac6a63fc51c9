import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toAuditEventRecord } from '../../../src/audit/index.js'
import { appendAuditEvent } from '../../../src/audit/run-audited.js'
import { createLogger } from '../../../src/lib/logger.js'
import {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  signatureTimestampSeconds,
  verifyWebhookSignature,
} from '../../../src/lib/webhook-signature.js'
import {
  WEBHOOK_TOPIC_HEADER,
  createOutboxDelivery,
  enqueueOutbox,
  outboxSigningKey,
  type OutboxTopic,
} from '../../../src/outbox/index.js'
import { takeWriteLock } from '../../../src/storage/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { jsonOf } from '../../support/json-of.js'
import { createLogCapture } from '../../support/log-capture.js'
import { TEST_MASTER_KEY, buildTestApp } from '../../support/test-app.js'
import { testDialects } from '../../support/test-db.js'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A webhook receiver on 127.0.0.1:0 answering the queued statuses, then 204. */
async function startReceiver() {
  const received: Received[] = []
  const statuses: number[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.statusCode = statuses.shift() ?? 204
      res.end('receiver body that must never be stored')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    // The token in the URL stands for a credential: it must never reach a row or a log line.
    url: `http://127.0.0.1:${port}/hooks/ferry?token=URL-CANARY-7f3a`,
    received,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A URL nothing listens on (a receiver that is down). */
async function downUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/hooks/ferry?token=URL-CANARY-7f3a`
}

const signingKey = outboxSigningKey(TEST_MASTER_KEY)
const RETRY = { baseDelayMs: 1_000, maxDelayMs: 1_000 }

for (const dialect of testDialects()) {
  describe(`${dialect}: the webhook outbox`, () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>
    let h: AdminHarness
    const logs = createLogCapture()

    beforeAll(async () => {
      receiver = await startReceiver()
      h = await createAdminHarness(dialect, { webhooks: { url: receiver.url } })
    })
    afterAll(async () => {
      await h.close()
      await receiver.close()
    })
    beforeEach(async () => {
      // Each test sees only its own deliveries (setup writes audit events too).
      await h.db.deleteFrom('outbox_events').execute()
      receiver.received.length = 0
      receiver.statuses.length = 0
    })

    function worker(
      options: {
        url?: string
        maxAttempts?: number
        topics?: OutboxTopic[]
        batchSize?: number
      } = {},
    ) {
      return createOutboxDelivery({
        db: h.db,
        clock: h.clock,
        url: options.url ?? receiver.url,
        signingKey,
        topics: options.topics ?? ['audit', 'usage'],
        maxAttempts: options.maxAttempts ?? 5,
        retrySchedule: RETRY,
        batchSize: options.batchSize ?? 100,
        timeoutMs: 2_000,
        logger: createLogger({ level: 'debug', destination: logs.stream }),
      })
    }

    const outboxRows = () => h.db.selectFrom('outbox_events').selectAll().execute()

    async function createOrganization(name: string) {
      const res = await h.request({
        method: 'POST',
        url: '/orgs',
        as: { token: h.ownerToken },
        body: { name },
      })
      expect(res.statusCode, res.body).toBe(201)
      return res.json<{ organizationId: string }>().organizationId
    }

    it('enqueues an audit event with its change and delivers it once, signed', async () => {
      const organizationId = await createOrganization('Delivered Co')
      const event = await h.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'organization.create')
        .where('target_id', '=', organizationId)
        .executeTakeFirstOrThrow()
      const [row, ...others] = await outboxRows()
      expect(others).toEqual([])
      expect(row).toMatchObject({ topic: 'audit', event_id: event.audit_event_id })
      expect(row!.status).toBe('pending')

      const delivery = worker()
      expect(await delivery.runOnce()).toMatchObject({ claimed: 1, delivered: 1 })
      expect(await delivery.runOnce()).toMatchObject({ claimed: 0 })
      expect(receiver.received).toHaveLength(1)
      const { headers, body } = receiver.received[0]!
      expect(headers[WEBHOOK_EVENT_ID_HEADER]).toBe(event.audit_event_id)
      expect(headers[WEBHOOK_TOPIC_HEADER]).toBe('audit')
      expect(headers['content-type']).toBe('application/json')
      const signature = String(headers[WEBHOOK_SIGNATURE_HEADER])
      expect(verifyWebhookSignature({ key: signingKey, header: signature, body })).toBe(true)
      expect(signatureTimestampSeconds(signature)).toBe(Math.floor(h.clock.nowMs() / 1000))
      expect(JSON.parse(body)).toEqual({
        id: event.audit_event_id,
        topic: 'audit',
        createdAt: event.created_at,
        payload: JSON.parse(jsonOf(toAuditEventRecord(event))) as unknown,
      })
      const [after] = await outboxRows()
      expect(after).toMatchObject({ status: 'delivered', last_error: null })
      expect(Number(after!.attempts)).toBe(1)
      expect(after!.delivered_at).not.toBeNull()
    })

    it('sends the same event again after a 500 and ends delivered', async () => {
      await createOrganization('Flaky receiver Co')
      receiver.statuses.push(500)
      const delivery = worker()
      expect(await delivery.runOnce()).toMatchObject({ claimed: 1, failed: 1 })
      let [row] = await outboxRows()
      expect(row).toMatchObject({ status: 'pending', last_error: 'http_500' })
      expect(Number(row!.attempts)).toBe(1)
      // Not due before its backoff.
      expect(await delivery.runOnce()).toMatchObject({ claimed: 0 })
      h.clock.advance(RETRY.maxDelayMs + 1)
      expect(await delivery.runOnce()).toMatchObject({ claimed: 1, delivered: 1 })
      ;[row] = await outboxRows()
      expect(row).toMatchObject({ status: 'delivered', last_error: null })
      expect(Number(row!.attempts)).toBe(2)
      expect(receiver.received).toHaveLength(2)
      const [first, second] = receiver.received
      expect(second!.headers[WEBHOOK_EVENT_ID_HEADER]).toBe(first!.headers[WEBHOOK_EVENT_ID_HEADER])
      expect(second!.body).toBe(first!.body)
      for (const { headers, body } of receiver.received)
        expect(
          verifyWebhookSignature({
            key: signingKey,
            header: String(headers[WEBHOOK_SIGNATURE_HEADER]),
            body,
          }),
        ).toBe(true)
    })

    it('keeps a delivery pending while the receiver is down, then dead; an admin retry revives it', async () => {
      await createOrganization('Receiver down Co')
      const down = worker({ url: await downUrl(), maxAttempts: 3 })
      expect(await down.runOnce()).toMatchObject({ claimed: 1, failed: 1 })
      let [row] = await outboxRows()
      expect(row).toMatchObject({ status: 'pending', last_error: 'connection_refused' })
      expect(Number(row!.attempts)).toBe(1)
      h.clock.advance(RETRY.maxDelayMs + 1)
      expect(await down.runOnce()).toMatchObject({ claimed: 1, failed: 1 })
      h.clock.advance(RETRY.maxDelayMs + 1)
      expect(await down.runOnce()).toMatchObject({ claimed: 1, dead: 1 })
      ;[row] = await outboxRows()
      expect(row).toMatchObject({ status: 'dead', last_error: 'connection_refused' })
      expect(Number(row!.attempts)).toBe(3)
      h.clock.advance(60 * 60_000)
      expect(await down.runOnce()).toMatchObject({ claimed: 0 })

      // The admin API shows it, and a retry makes it due again with fresh attempts.
      const auditor = {
        token: await h.createToken(await h.createAdmin({ role: 'security_auditor' })),
      }
      const list = await h.request({
        method: 'GET',
        url: '/webhooks/deliveries?status=dead&topic=audit',
        as: auditor,
      })
      expect(list.statusCode, list.body).toBe(200)
      expect(list.json()).toMatchObject({
        object: 'list',
        hasMore: false,
        data: [
          {
            object: 'webhook_delivery',
            outboxId: row!.outbox_id,
            eventId: row!.event_id,
            status: 'dead',
            attempts: 3,
            lastError: 'connection_refused',
            nextAttemptAt: null,
          },
        ],
      })
      expect(list.body).not.toContain('payload')
      const denied = await h.request({
        method: 'POST',
        url: `/webhooks/deliveries/${row!.outbox_id}/retry`,
        as: auditor,
      })
      expect(denied.statusCode).toBe(403)
      await h.db.deleteFrom('outbox_events').where('outbox_id', '!=', row!.outbox_id).execute()
      const retried = await h.request({
        method: 'POST',
        url: `/webhooks/deliveries/${row!.outbox_id}/retry`,
        as: { token: h.ownerToken },
      })
      expect(retried.statusCode, retried.body).toBe(200)
      expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 })
      const retryEvent = (await h.auditEvents()).at(-1)!
      expect(retryEvent).toMatchObject({
        action: 'webhook.delivery_retry',
        target_type: 'webhook_delivery',
        target_id: row!.outbox_id,
      })
      // The retry's own audit event is enqueued with it; both reach the receiver.
      expect(await worker().runOnce()).toMatchObject({ claimed: 2, delivered: 2 })
      expect(receiver.received.map((r) => r.headers[WEBHOOK_EVENT_ID_HEADER]).sort()).toEqual(
        [row!.event_id, retryEvent.audit_event_id].sort(),
      )
      const again = await h.request({
        method: 'POST',
        url: `/webhooks/deliveries/${row!.outbox_id}/retry`,
        as: { token: h.ownerToken },
      })
      expect(again.statusCode).toBe(409)
      expect(again.json()).toMatchObject({
        error: { code: 'webhook_delivery_already_delivered' },
      })
      const missing = await h.request({
        method: 'GET',
        url: '/webhooks/deliveries/obx_00000000000000000000000000',
        as: auditor,
      })
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toMatchObject({ error: { code: 'webhook_delivery_not_found' } })
    })

    it('pages deliveries newest first with a cursor', async () => {
      await enqueueOutbox(
        h.db,
        ['a', 'b', 'c'].map((id) => ({
          topic: 'usage' as const,
          eventId: `req_page_${id}`,
          payload: {},
        })),
        { nowMs: h.clock.nowMs() },
      )
      const as = { token: h.ownerToken }
      const first = await h.request({ method: 'GET', url: '/webhooks/deliveries?limit=2', as })
      const page1 = first.json<{
        data: { eventId: string }[]
        nextCursor: string
        hasMore: boolean
      }>()
      expect(page1.hasMore).toBe(true)
      const second = await h.request({
        method: 'GET',
        url: `/webhooks/deliveries?limit=2&after=${page1.nextCursor}`,
        as,
      })
      const page2 = second.json<{ data: { eventId: string }[]; hasMore: boolean }>()
      expect(page2.hasMore).toBe(false)
      expect([...page1.data, ...page2.data].map((d) => d.eventId).sort()).toEqual([
        'req_page_a',
        'req_page_b',
        'req_page_c',
      ])
    })

    it('leaves no outbox row when the audit transaction rolls back', async () => {
      await expect(
        h.db.transaction().execute(async (tx) => {
          await takeWriteLock(tx)
          await appendAuditEvent(tx, {
            context: SETUP_AUDIT,
            event: { action: 'organization.update', organizationId: null },
            nowMs: h.clock.nowMs(),
            outbox: true,
          })
          expect(await tx.selectFrom('outbox_events').selectAll().execute()).toHaveLength(1)
          throw new Error('the change failed after its event was written')
        }),
      ).rejects.toThrow('the change failed')
      expect(await outboxRows()).toEqual([])
      // A change refused before it runs (a high-risk action without a reason) enqueues nothing either.
      const refused = await h.request({
        method: 'POST',
        url: `/orgs/${await h.createOrganization()}/suspend`,
        as: { token: h.ownerToken },
        body: {},
      })
      expect(refused.statusCode).toBe(400)
      expect(await outboxRows()).toEqual([])
    })

    it('enqueues nothing when no webhook is configured', async () => {
      const unconfigured = buildTestApp({
        db: h.db,
        clock: h.clock,
        webhooks: { topics: ['audit'] },
      })
      expect(unconfigured.services.outboxTopics.size).toBe(0)
      await unconfigured.services.admin.organizations.create(SETUP_AUDIT, { name: 'Quiet Co' })
      await unconfigured.app.close()
      expect(await outboxRows()).toEqual([])
      expect(
        await h.db
          .selectFrom('audit_events')
          .select('action')
          .where('action', '=', 'organization.create')
          .execute(),
      ).not.toHaveLength(0)
    })

    it('delivers usage events enqueued in the writer transaction, and never a rolled-back one', async () => {
      await h.db.transaction().execute(async (tx) => {
        await enqueueOutbox(
          tx,
          [{ topic: 'usage', eventId: 'req_committed', payload: { costMicros: 1_500_000n } }],
          { nowMs: h.clock.nowMs() },
        )
      })
      await expect(
        h.db.transaction().execute(async (tx) => {
          await enqueueOutbox(tx, [{ topic: 'usage', eventId: 'req_rolled_back', payload: {} }], {
            nowMs: h.clock.nowMs(),
          })
          throw new Error('settlement failed')
        }),
      ).rejects.toThrow('settlement failed')
      // Enqueueing an event twice keeps one row.
      await enqueueOutbox(h.db, [{ topic: 'usage', eventId: 'req_committed', payload: {} }], {
        nowMs: h.clock.nowMs(),
      })
      // A worker for audit only leaves usage rows waiting.
      expect(await worker({ topics: ['audit'] }).runOnce()).toMatchObject({ claimed: 0 })
      expect(await worker().runOnce()).toMatchObject({ claimed: 1, delivered: 1 })
      expect(receiver.received).toHaveLength(1)
      expect(receiver.received[0]!.headers[WEBHOOK_TOPIC_HEADER]).toBe('usage')
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
        id: 'req_committed',
        topic: 'usage',
        payload: { costMicros: '1500000' },
      })
    })

    it('never sends one row twice at once from two workers', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `req_race_${i}`)
      await enqueueOutbox(
        h.db,
        ids.map((eventId) => ({ topic: 'usage' as const, eventId, payload: { n: eventId } })),
        { nowMs: h.clock.nowMs() },
      )
      // Small batches, so the workers' claims interleave.
      const workers = [worker({ batchSize: 7 }), worker({ batchSize: 7 }), worker({ batchSize: 7 })]
      for (let round = 0; round < 3; round++) await Promise.all(workers.map((w) => w.runOnce()))
      expect((await outboxRows()).every((row) => row.status === 'delivered')).toBe(true)
      const sent = receiver.received.map((r) => String(r.headers[WEBHOOK_EVENT_ID_HEADER]))
      expect(sent.sort()).toEqual([...ids].sort())
    })

    it('puts no secret in the outbox, on the wire or in a log line', async () => {
      const organizationId = await createOrganization('Canary Co')
      const key = await h.request({
        method: 'POST',
        url: `/orgs/${organizationId}/keys`,
        as: { token: h.ownerToken },
        body: { name: 'canary key', environment: 'live' },
      })
      expect(key.statusCode, key.body).toBe(201)
      const keySecret = key.json<{ secret: string }>().secret
      const credential = 'CRED-CANARY-0123456789abcdef'
      const provider = await h.request({
        method: 'POST',
        url: '/providers',
        as: { token: h.ownerToken },
        body: {
          name: 'canary-provider',
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:8000/v1',
          models: ['canary-*'],
          credential,
        },
      })
      expect(provider.statusCode, provider.body).toBe(201)
      receiver.statuses.push(503)
      const delivery = worker()
      await delivery.runOnce()
      h.clock.advance(RETRY.maxDelayMs + 1)
      await delivery.runOnce()
      const rows = await outboxRows()
      expect(rows.length).toBeGreaterThanOrEqual(3)
      expect(rows.every((r) => r.status === 'delivered')).toBe(true)
      const actions = rows.map((r) => (JSON.parse(r.payload_json) as { action: string }).action)
      expect(actions).toEqual(
        expect.arrayContaining(['organization.create', 'api_key.create', 'provider.create']),
      )
      const places = {
        outbox: jsonOf(rows),
        wire: JSON.stringify(receiver.received),
        logs: logs.lines.join('\n'),
      }
      for (const [place, text] of Object.entries(places)) {
        expect(text, place).not.toContain(keySecret)
        expect(text, place).not.toContain(keySecret.slice(-20))
        expect(text, place).not.toContain(credential)
        expect(text, place).not.toContain('URL-CANARY')
        expect(text, place).not.toContain('receiver body')
      }
    })
  })
}
