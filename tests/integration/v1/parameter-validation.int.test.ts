import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SecretText } from '../../../src/lib/secret-text.js'
import { findUsageEventsOfRequest } from '../../../src/usage/index.js'
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
} from '../../support/mock-upstreams/openai-upstream.js'
import { configuredAccount } from '../../support/configured-account.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import {
  ANY_PROVIDER_PRICES,
  setUpPricedCustomer,
  type PricedCustomer,
} from '../../support/priced-customer.js'
import { buildTestApp } from '../../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * "Bad input gets a clear error in OpenAI's shape and changes nothing": a standard parameter of
 * the wrong type or out of its range is refused at the edge with 400 naming it, before any hold,
 * and the upstream never sees the request.
 */

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: 32,
  ...extra,
})

/**
 * One refused body per endpoint and gap, the param the answer must name, and a note telling
 * apart cases that name the same param.
 */
const REFUSED = [
  { url: '/v1/chat/completions', payload: chat({ temperature: 'a string' }), param: 'temperature' },
  {
    url: '/v1/chat/completions',
    payload: chat({ temperature: 'a string', stream: true }),
    param: 'temperature',
  },
  {
    url: '/v1/chat/completions',
    payload: chat({ stream: true, stream_options: { include_usage: 'yes' } }),
    param: 'stream_options.include_usage',
  },
  // stream_options is nullable in the spec, the booleans inside it are not.
  {
    url: '/v1/chat/completions',
    payload: chat({ stream: true, stream_options: { include_usage: null } }),
    param: 'stream_options.include_usage',
    note: 'null',
  },
  {
    url: '/v1/responses',
    payload: {
      model: 'gpt-4o-mini',
      input: 'Say hello.',
      stream: true,
      stream_options: { include_obfuscation: null },
    },
    param: 'stream_options.include_obfuscation',
  },
  {
    url: '/v1/chat/completions',
    payload: chat({
      metadata: Object.fromEntries(Array.from({ length: 17 }, (_v, i) => [`key_${i}`, 'v'])),
    }),
    param: 'metadata',
  },
  // Past 2^53 - 1 a seed has lost digits in JSON.parse: it cannot be forwarded exactly.
  {
    url: '/v1/completions',
    payload: { model: 'gpt-4o-mini', prompt: 'Say hello.', seed: 2 ** 62 },
    param: 'seed',
  },
  // A nested field is named as OpenAI names it: array indices in brackets.
  {
    url: '/v1/chat/completions',
    payload: chat({ tools: [{ type: 'function', function: { name: 'lookup' } }, 'lookup'] }),
    param: 'tools[1]',
  },
  {
    url: '/v1/chat/completions',
    payload: chat({ messages: [{ role: 'user', content: 'Hi.' }, { content: 'no role' }] }),
    param: 'messages[1].role',
  },
  {
    url: '/v1/completions',
    payload: { model: 'gpt-4o-mini', prompt: 'Say hello.', max_tokens: '16' },
    param: 'max_tokens',
  },
  // prompt: a string, strings, tokens or arrays of tokens, never an object or a mix of kinds.
  {
    url: '/v1/completions',
    payload: { model: 'gpt-4o-mini', prompt: { text: 'Say hello.' } },
    param: 'prompt',
  },
  {
    url: '/v1/completions',
    payload: { model: 'gpt-4o-mini', prompt: ['Say hello.', 7] },
    param: 'prompt[1]',
  },
  // input: as a prompt, but never empty and at most 2048 items.
  {
    url: '/v1/embeddings',
    payload: { model: 'gpt-4o-mini', input: [[1212, 318], 'hello'] },
    param: 'input[1]',
  },
  {
    url: '/v1/embeddings',
    payload: { model: 'gpt-4o-mini', input: [] },
    param: 'input',
  },
  {
    url: '/v1/embeddings',
    payload: { model: 'gpt-4o-mini', input: 'hello', dimensions: 0 },
    param: 'dimensions',
  },
  // input: a string or an array of item objects (the items' own shape is the upstream's call).
  {
    url: '/v1/responses',
    payload: { model: 'gpt-4o-mini', input: { role: 'user', content: 'Say hello.' } },
    param: 'input',
  },
  {
    url: '/v1/responses',
    payload: { model: 'gpt-4o-mini', input: [{ role: 'user', content: 'Say hello.' }, 'and bye'] },
    param: 'input[1]',
  },
  {
    url: '/v1/responses',
    payload: { model: 'gpt-4o-mini', input: 'Say hello.', max_tool_calls: -1 },
    param: 'max_tool_calls',
  },
  {
    url: '/v1/responses',
    payload: { model: 'gpt-4o-mini', input: 'Say hello.', max_output_tokens: 8 },
    param: 'max_output_tokens',
  },
] as const

const openAIAccount = (baseUrl: string) =>
  configuredAccount({
    name: 'openai-mock',
    kind: 'openai',
    baseUrl,
    credential: new SecretText('sk-upstream-secret'),
    credentialEnv: 'TEST_UPSTREAM_KEY',
    models: ['gpt-4o-mini'],
  })

for (const dialect of testDialects()) {
  describe(`${dialect}: /v1 refuses wrongly typed standard parameters`, () => {
    let testDb: TestDb
    let upstream: OpenAIUpstream
    let built: ReturnType<typeof buildTestApp>
    let customer: PricedCustomer

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      upstream = await startOpenAIUpstream()
      built = buildTestApp({ db: testDb.db, providerAccounts: [openAIAccount(upstream.baseUrl)] })
      await built.services.models.ready()
      await built.app.ready()
      customer = await setUpPricedCustomer(built.services.admin, {
        keyName: 'validation',
        prices: ANY_PROVIDER_PRICES,
      })
      await built.services.priceBook.reload()
    })
    afterEach(() => {
      upstream.requests.length = 0
    })
    afterAll(async () => {
      await built.app.close()
      await upstream.close()
      await testDb.destroy()
    })

    const post = (url: string, payload: object) =>
      built.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${customer.secret}` },
        payload,
      })
    const balance = async () =>
      (await built.services.billing.holds.available(customer.organizationId, 'live')) ?? 0n
    const ledgerKinds = async () =>
      (
        await testDb.db
          .selectFrom('ledger_entries')
          .innerJoin('ledger_accounts', 'ledger_accounts.account_id', 'ledger_entries.account_id')
          .select('ledger_entries.kind')
          .where('ledger_accounts.organization_id', '=', customer.organizationId)
          .execute()
      ).map((e) => e.kind)

    it('forwards a well-typed request, unknown fields kept, and charges it', async () => {
      const before = await balance()
      const payload = { temperature: 0.2, x_future_param: { kept: [1, 'two'] }, ...chat() }
      const response = await post('/v1/chat/completions', payload)
      expect(response.statusCode).toBe(200)
      expect(upstream.requests).toHaveLength(1)
      const sent = upstream.requests[0]!.body as Record<string, unknown>
      expect(sent).toEqual(payload)
      expect(await balance()).toBeLessThan(before)
    })

    it('refuses a body nested thousands deep before parsing it: 400, nothing sent, held or charged', async () => {
      // A few kilobytes, far under the size limit; walked recursively it overflowed the stack.
      const deep = (depth: number) => {
        let value = '"x"'
        for (let i = 0; i < depth; i++) value = `{"a":${value}}`
        return value
      }
      const balanceBefore = await balance()
      for (const [url, raw] of [
        [
          '/v1/chat/completions',
          `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi.","x":${deep(20_000)}}]}`,
        ],
        ['/v1/responses', `{"model":"gpt-4o-mini","input":[${deep(20_000)}]}`],
      ] as const) {
        const response = await built.app.inject({
          method: 'POST',
          url,
          headers: {
            authorization: `Bearer ${customer.secret}`,
            'content-type': 'application/json',
          },
          payload: raw,
        })
        expect(response.statusCode, response.body).toBe(400)
        expectOpenAIError(response.json(), { type: 'invalid_request_error', code: 'json_too_deep' })
      }
      // A body as deep as the limit allows is served.
      const atLimit = await built.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${customer.secret}`, 'content-type': 'application/json' },
        payload: JSON.stringify(chat({ x_nested: JSON.parse(deep(120)) as unknown })),
      })
      expect(atLimit.statusCode, atLimit.body).toBe(200)
      expect(upstream.requests).toHaveLength(1)
      expect(built.services.billing.holds.openHoldCount()).toBe(0)
      expect(await balance()).toBeLessThan(balanceBefore)
    })

    for (const refused of REFUSED) {
      const { url, payload, param } = refused
      const note = 'note' in refused ? ` (${refused.note})` : ''
      const what = `${url} ${'stream' in payload ? 'stream ' : ''}with a bad ${param}${note}`
      it(`answers ${what} with 400 naming it: nothing sent upstream, held or charged`, async () => {
        const balanceBefore = await balance()
        const kindsBefore = await ledgerKinds()
        const response = await post(url, payload)
        expect(response.statusCode).toBe(400)
        expect(response.headers['content-type']).toMatch(/^application\/json/)
        const body = response.json<{ error: { param: string; message: string } }>()
        expectOpenAIError(body, { type: 'invalid_request_error', code: null })
        expect(body.error.param).toBe(param)
        expect(body.error.message).toContain(`'${param}'`)
        expect(upstream.requests).toHaveLength(0)
        expect(await balance()).toBe(balanceBefore)
        expect(await ledgerKinds()).toEqual(kindsBefore)
        expect(built.services.billing.holds.openHoldCount()).toBe(0)
        const events = await findUsageEventsOfRequest(
          testDb.db,
          String(response.headers['x-request-id']),
        )
        expect(events).toHaveLength(1)
        expect(events[0]).toMatchObject({ httpStatus: 400, costMicros: 0n, heldMicros: 0n })
      })
    }
  })
}
