import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { dumpAllTables } from '../../support/dump-tables.js'
import { jsonOf } from '../../support/json-of.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Prompt and completion capture through real /v1 requests: only for an organization that opted
 * in, masked before storage (a planted credential never reaches any table), for JSON answers
 * and streams alike.
 */
const CANARY = `sk-proj-${'Zq9'.repeat(12)}CaNaRy`

for (const dialect of testDialects()) {
  describe(`${dialect}: request-log capture on the /v1 path`, () => {
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

    async function customer(capture: boolean) {
      const admin = built.services.admin
      const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
      const { secret } = await admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
      if (capture)
        await admin.requestLogs.updateSettings(SETUP_AUDIT, organizationId, {
          captureEnabled: true,
          retentionDays: 7,
        })
      return { organizationId, secret }
    }
    const post = (secret: string, payload: object) =>
      built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}` },
        payload,
      })
    const prompt = (extra: Record<string, unknown> = {}) => ({
      model: 'mock',
      messages: [{ role: 'user', content: `Here is my key ${CANARY}, keep it safe.` }],
      max_tokens: 20,
      ...extra,
    })
    const logsOf = (organizationId: string) =>
      testDb.db
        .selectFrom('request_logs')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .execute()

    it('captures nothing for an organization that did not opt in', async () => {
      const { organizationId, secret } = await customer(false)
      expect((await post(secret, prompt())).statusCode).toBe(200)
      await built.services.requestLog.flush()
      expect(await logsOf(organizationId)).toEqual([])
    })

    it('captures an opted-in JSON request and stream, masked, under their request IDs', async () => {
      const { organizationId, secret } = await customer(true)
      const json = await post(secret, prompt())
      const stream = await post(secret, prompt({ stream: true }))
      expect(json.statusCode).toBe(200)
      expect(stream.statusCode).toBe(200)
      await built.services.requestLog.flush()
      const logs = await logsOf(organizationId)
      expect(logs.map((l) => l.request_id).sort()).toEqual(
        [json.headers['x-request-id'], stream.headers['x-request-id']].map(String).sort(),
      )
      for (const log of logs) {
        const stored = jsonOf(log)
        expect(stored).toContain('keep it safe')
        expect(stored).toContain('[masked:')
        expect(stored).not.toContain(CANARY)
      }
      const streamed = logs.find((l) => l.request_id === stream.headers['x-request-id'])
      expect(jsonOf(streamed)).toContain('chat.completion.chunk')
      // The credential is nowhere: not in request logs, usage events, the audit log or logs.
      const tables = await dumpAllTables(testDb.db)
      expect(Object.values(tables).join('\n')).not.toContain(CANARY)
      expect(JSON.stringify(built.logs.records())).not.toContain(CANARY)
    })
  })
}
