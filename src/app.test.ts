import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../tests/support/test-db.js'
import { buildTestApp } from '../tests/support/test-app.js'
import { expectOpenAIError } from '../tests/support/openai-shape.js'

describe('the app over SQLite', () => {
  let testDb: TestDb
  let built: ReturnType<typeof buildTestApp>
  beforeAll(async () => {
    testDb = await createTestDb('sqlite')
    built = buildTestApp({ db: testDb.db, server: { bodyLimitBytes: 2048 } })
    built.app.post('/test/echo', (request) => request.body)
    await built.app.ready()
  })
  afterAll(async () => {
    await built.app.close()
    await testDb.destroy()
  })

  it('answers /healthz and /readyz', async () => {
    expect((await built.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await built.app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ready' })
  })

  it('answers an unknown URL with a 404 in OpenAI shape', async () => {
    const res = await built.app.inject({ method: 'POST', url: '/v1/nothing' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expectOpenAIError(res.json())
    expect(res.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/nothing)' } })
  })

  it('answers a URL the router cannot decode with a 400 invalid_url, and an over-long ID with a 414', async () => {
    const bad = await built.app.inject({ url: '/v1/models/%ZZ' })
    expect(bad.statusCode).toBe(400)
    expectOpenAIError(bad.json(), { code: 'invalid_url' })
    expect(bad.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/)
    expect(bad.body).not.toContain('%ZZ')
    const long = await built.app.inject({ url: `/v1/models/${'x'.repeat(101)}` })
    expect(long.statusCode).toBe(414)
    expectOpenAIError(long.json(), { code: 'url_too_long' })
    expect(long.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/)
  })

  it('answers a known URL with the wrong method with a 405 and Allow', async () => {
    const res = await built.app.inject({ method: 'DELETE', url: '/healthz' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(res.json()).toMatchObject({ error: { code: 'method_not_allowed', param: null } })
  })

  it('answers malformed JSON with a 400 in OpenAI shape', async () => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"model": ',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      error: {
        message: expect.stringContaining('could not parse the JSON body') as unknown,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    })
  })

  it('refuses prototype poisoning with a 400', async () => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}}',
    })
    expect(res.statusCode).toBe(400)
    expectOpenAIError(res.json())
  })

  it('answers a body over the limit with a 413', async () => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(4096) }),
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ error: { code: 'request_too_large' } })
  })

  it('answers an unsupported content type with a 415', async () => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    })
    expect(res.statusCode).toBe(415)
    expectOpenAIError(res.json())
  })

  it('puts x-request-id on every response and keeps a well-formed client id', async () => {
    const minted = await built.app.inject({ url: '/nope' })
    expect(minted.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/)
    const kept = await built.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'trace-42' },
    })
    expect(kept.headers['x-request-id']).toBe('trace-42')
    const replaced = await built.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id with spaces' },
    })
    expect(replaced.headers['x-request-id']).toMatch(/^req_/)
  })

  it('writes one access line per request, without credentials or query strings', async () => {
    const before = built.logs.lines.length
    await built.app.inject({
      url: '/healthz?key=sk-canary-query',
      headers: { authorization: 'Bearer sk-canary-header', 'x-request-id': 'access-1' },
    })
    const lines = built.logs.lines.slice(before)
    expect(lines).toHaveLength(1)
    const record = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(record).toMatchObject({
      msg: 'request completed',
      requestId: 'access-1',
      status: 200,
      path: '/healthz',
    })
    expect(lines[0]).not.toContain('canary')
  })

  it('counts requests by route pattern in /metrics', async () => {
    await built.app.inject({ url: '/healthz' })
    const res = await built.app.inject({ url: '/metrics' })
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toMatch(
      /ferry_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
    )
    expect(res.body).toContain('ferry_http_request_duration_seconds_bucket')
    expect(res.body).toContain('ferry_process_cpu_user_seconds_total')
  })

  it('logs an unexpected error once and answers a generic 500', async () => {
    const local = buildTestApp({ db: testDb.db })
    local.app.get('/test/boom', () => {
      throw new Error('secret internal detail')
    })
    const res = await local.app.inject({ url: '/test/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      error: {
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: null,
      },
    })
    expect(res.body).not.toContain('secret internal detail')
    expect(local.logs.records().filter((r) => r.msg === 'unhandled error')).toHaveLength(1)
    await local.app.close()
  })
})
