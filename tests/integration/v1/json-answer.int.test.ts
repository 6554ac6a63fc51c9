import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretText } from '../../../src/lib/secret-text.js'
import { SETUP_AUDIT } from '../../support/admin-harness.js'
import { configuredAccount } from '../../support/configured-account.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, type TestDb } from '../../support/test-db.js'

/** What the upstream answers, by the model asked for: exact texts, spacing and unknown fields. */
const ANSWERS: Record<string, string> = {
  // Names its model: relayed as written, byte for byte.
  'names-itself': `{ "id":"chatcmpl-1",  "object":"chat.completion","created":1767225600,
    "model":"names-itself-2026","vendor_extra":{"kept":[1,2.50,"é"]},
    "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4} }`,
  // Names no model: Ferry names the one that served, so the answer is serialized again.
  'names-nothing': `{"id":"chatcmpl-2","object":"chat.completion","created":1767225600,"model":"",
    "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
}

const account = (baseUrl: string) =>
  configuredAccount({
    name: 'plain',
    kind: 'openai',
    baseUrl,
    credential: new SecretText('sk-plain-upstream'),
    credentialEnv: 'PLAIN_UPSTREAM_KEY',
    models: Object.keys(ANSWERS),
  })

describe('JSON answers leave as the upstream wrote them unless Ferry changes them', () => {
  let testDb: TestDb
  let upstream: Server
  let built: ReturnType<typeof buildTestApp>
  let secret: string

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        const model = (JSON.parse(body) as { model: string }).model
        res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWERS[model])
      })
    })
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done))
    const port = (upstream.address() as AddressInfo).port
    testDb = await createTestDb('sqlite')
    built = buildTestApp({
      db: testDb.db,
      providerAccounts: [account(`http://127.0.0.1:${port}/v1`)],
    })
    await built.services.models.ready()
    await built.app.ready()
    const org = await built.services.admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
    secret = (
      await built.services.admin.keys.create(SETUP_AUDIT, {
        organizationId: org.organizationId,
        name: 'k',
        environment: 'live',
      })
    ).secret
  })
  afterAll(async () => {
    await built?.app.close()
    await testDb?.destroy()
    await new Promise((done) => upstream?.close(done))
  })

  const chat = (model: string) =>
    built.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${secret}` },
      payload: { model, messages: [{ role: 'user', content: 'Hello' }] },
    })

  it('relays an answer that names its model byte for byte', async () => {
    const res = await chat('names-itself')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.payload).toBe(ANSWERS['names-itself'])
  })

  it('names the served model where the answer names none', async () => {
    const res = await chat('names-nothing')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.json()).toEqual({ ...JSON.parse(ANSWERS['names-nothing']!), model: 'names-nothing' })
  })
})
