import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

interface CustomerPage {
  object: 'list'
  data: { id: string; request_id: string; cost_micros: string; usage: { total_tokens: number } }[]
  has_more: boolean
  next_cursor: string | null
  totals: { requests: number; cost_micros: string; prompt_tokens: string }
}

const chat = { model: 'mock', messages: [{ role: 'user', content: 'Hi.' }], max_tokens: 20 }

for (const dialect of testDialects()) {
  describe(`${dialect}: GET /v1/ferry/usage, a key's own usage`, () => {
    let testDb: TestDb
    let disabled: ReturnType<typeof buildTestApp>
    let enabled: ReturnType<typeof buildTestApp>

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      disabled = buildTestApp({ db: testDb.db })
      enabled = buildTestApp({ db: testDb.db, usageCustomerRead: true })
      for (const built of [disabled, enabled]) {
        await built.services.models.ready()
        await built.app.ready()
      }
    })
    afterAll(async () => {
      await disabled.app.close()
      await enabled.app.close()
      await testDb.destroy()
    })

    async function newKey(organizationId: string) {
      return enabled.services.admin.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'k',
        environment: 'live',
      })
    }
    const read = (built: ReturnType<typeof buildTestApp>, secret: string, query = '') =>
      built.app.inject({
        method: 'GET',
        url: `/v1/ferry/usage${query}`,
        headers: { authorization: `Bearer ${secret}` },
      })

    it('answers 404 in OpenAI’s shape while disabled (the default)', async () => {
      const org = await enabled.services.admin.organizations.create(SETUP_AUDIT, { name: 'Off' })
      const { secret } = await newKey(org.organizationId)
      const res = await read(disabled, secret)
      expect(res.statusCode).toBe(404)
      expectOpenAIError(res.json(), { type: 'invalid_request_error', code: 'unknown_url' })
    })

    it('returns only the calling key’s events, paged, with the period’s totals', async () => {
      const org = await enabled.services.admin.organizations.create(SETUP_AUDIT, { name: 'On' })
      const mine = await newKey(org.organizationId)
      const sibling = await newKey(org.organizationId)
      const post = (secret: string) =>
        enabled.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${secret}` },
          payload: chat,
        })
      const myRequests = new Set<string>()
      for (let i = 0; i < 3; i++)
        myRequests.add(String((await post(mine.secret)).headers['x-request-id']))
      await post(sibling.secret)
      await post(sibling.secret)

      const first = await read(enabled, mine.secret, '?limit=2')
      expect(first.statusCode, first.body).toBe(200)
      const page = first.json<CustomerPage>()
      expect(page).toMatchObject({ object: 'list', has_more: true })
      expect(page.data).toHaveLength(2)
      const second = (
        await read(enabled, mine.secret, `?limit=2&after=${encodeURIComponent(page.next_cursor!)}`)
      ).json<CustomerPage>()
      expect(second.has_more).toBe(false)
      const seen = [...page.data, ...second.data].map((e) => e.request_id)
      expect(new Set(seen)).toEqual(myRequests)
      expect(page.totals.requests).toBe(3)
      expect(typeof page.totals.cost_micros).toBe('string')
      // The first read is itself a /v1 request of this key, recorded once it was answered.
      expect(second.totals.requests).toBe(4)

      const theirs = (await read(enabled, sibling.secret)).json<CustomerPage>()
      expect(theirs.data.every((e) => !myRequests.has(e.request_id))).toBe(true)
      expect(theirs.totals.requests).toBe(2)
    })

    it('refuses a cursor it did not write', async () => {
      const org = await enabled.services.admin.organizations.create(SETUP_AUDIT, { name: 'Bad' })
      const { secret } = await newKey(org.organizationId)
      const res = await read(enabled, secret, '?after=nope')
      expect(res.statusCode).toBe(400)
      expectOpenAIError(res.json(), { type: 'invalid_request_error' })
    })
  })
}
