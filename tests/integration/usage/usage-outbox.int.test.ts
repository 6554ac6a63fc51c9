import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * With a webhook taking the `usage` topic, each usage event is enqueued in the outbox in the
 * transaction that writes it, under its usage ID (request IDs may repeat), with no prompt.
 */
for (const dialect of testDialects()) {
  describe(`${dialect}: usage events reach the webhook outbox`, () => {
    let testDb: TestDb
    let built: ReturnType<typeof buildTestApp>

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      built = buildTestApp({
        db: testDb.db,
        webhooks: { url: 'http://127.0.0.1:9/hooks', topics: ['usage'] },
      })
      await built.services.models.ready()
      await built.app.ready()
    })
    afterAll(async () => {
      await built.app.close()
      await testDb.destroy()
    })

    it('enqueues one outbox row per usage event, with the event and nothing of the prompt', async () => {
      const admin = built.services.admin
      const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
      const { secret } = await admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
      const requestId = 'req_reused_by_the_client'
      for (let i = 0; i < 2; i++) {
        const response = await built.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${secret}`, 'x-request-id': requestId },
          payload: {
            model: 'mock',
            messages: [{ role: 'user', content: 'a very private prompt' }],
            max_tokens: 10,
          },
        })
        expect(response.statusCode).toBe(200)
      }
      const usage = await testDb.db
        .selectFrom('usage_events')
        .select('usage_id')
        .where('request_id', '=', requestId)
        .execute()
      expect(usage).toHaveLength(2)
      const rows = await testDb.db
        .selectFrom('outbox_events')
        .selectAll()
        .where('topic', '=', 'usage')
        .execute()
      expect(rows.map((r) => r.event_id).sort()).toEqual(usage.map((u) => u.usage_id).sort())
      for (const row of rows) {
        expect(JSON.parse(row.payload_json)).toMatchObject({ requestId, organizationId })
        expect(row.payload_json).not.toContain('private prompt')
      }
      // Only the usage topic was asked for: audit events stay out of this outbox.
      const audit = await testDb.db
        .selectFrom('outbox_events')
        .select('outbox_id')
        .where('topic', '=', 'audit')
        .execute()
      expect(audit).toEqual([])
    })
  })
}
