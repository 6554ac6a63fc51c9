import type { AddressInfo } from 'node:net'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../../src/config/resolve-provider-accounts.js'
import { SecretText } from '../../src/lib/secret-text.js'
import { configuredAccount } from '../support/configured-account.js'
import { SETUP_AUDIT } from '../support/admin-harness.js'
import { startAnthropicUpstream } from '../support/mock-upstreams/anthropic-upstream.js'
import { startAzureUpstream } from '../support/mock-upstreams/azure-upstream.js'
import type { MockServerControls } from '../support/mock-upstreams/mock-server.js'
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
} from '../support/mock-upstreams/openai-upstream.js'
import { assertMatchesSchema } from '../support/openapi-validate.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, type TestDb } from '../support/test-db.js'

/** A configured (file-style) provider account over one of the local mock upstreams. */
function upstreamAccount(fields: {
  name: string
  kind: string
  baseUrl: string
  models: string[]
  aliases?: Record<string, string>
}) {
  return configuredAccount({
    credential: new SecretText('sk-upstream-secret'),
    credentialEnv: 'TEST_UPSTREAM_KEY',
    ...fields,
  })
}

describe('the official openai client against Ferry', () => {
  let testDb: TestDb
  let built: ReturnType<typeof buildTestApp>
  let openaiUp: OpenAIUpstream
  let azureUp: MockServerControls
  let anthropicUp: MockServerControls
  let baseURL: string
  let secret: string
  let client: OpenAI

  beforeAll(async () => {
    testDb = await createTestDb('sqlite')
    openaiUp = await startOpenAIUpstream()
    azureUp = await startAzureUpstream()
    anthropicUp = await startAnthropicUpstream()
    // The production resolver over configured accounts, as `providers.accounts` declares them.
    const providerAccounts = [
      upstreamAccount({
        name: 'openai-mock',
        kind: 'openai',
        baseUrl: openaiUp.baseUrl,
        models: ['gpt-4o-mini', 'text-embedding-3-small'],
      }),
      upstreamAccount({
        name: 'azure-mock',
        kind: 'azure-openai',
        baseUrl: azureUp.origin,
        models: [],
        aliases: { 'azure-4o-mini': 'gpt-4o-mini-prod' },
      }),
      upstreamAccount({
        name: 'anthropic-mock',
        kind: 'anthropic',
        baseUrl: anthropicUp.origin,
        models: [],
        aliases: { 'claude-haiku': 'claude-3-5-haiku-latest' },
      }),
      BUILTIN_MOCK_PROVIDER_ACCOUNT,
    ]
    built = buildTestApp({ db: testDb.db, providerAccounts })
    await built.services.models.ready()
    await built.app.listen({ host: '127.0.0.1', port: 0 })
    baseURL = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}/v1`
    secret = (await newKey()).secret
    client = new OpenAI({ apiKey: secret, baseURL, maxRetries: 0 })
  })
  afterAll(async () => {
    await built.app.close()
    await Promise.all([openaiUp.close(), azureUp.close(), anthropicUp.close()])
    await testDb.destroy()
  })
  beforeEach(() => {
    openaiUp.setFault(null)
    openaiUp.setChunkDelay(0)
  })

  async function newKey(options: { rpm?: number; models?: string[] } = {}) {
    const org = await built.services.admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
    return built.services.admin.keys.create(SETUP_AUDIT, {
      organizationId: org.organizationId,
      name: 'e2e',
      environment: 'live',
      ...(options.models ? { scopes: { models: options.models, endpoints: null } } : {}),
      ...(options.rpm ? { rateLimits: { requestsPerMinute: options.rpm } } : {}),
    })
  }

  const messages = [{ role: 'user' as const, content: 'Say hello' }]

  it('answers a chat completion with the served model, request id and processing time', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse()
    assertMatchesSchema('CreateChatCompletionResponse', data)
    expect(data.choices[0]?.message.content).toBeTruthy()
    const requestId = (data as unknown as { _request_id: string | null })._request_id
    expect(requestId).toMatch(/^req_/)
    expect(response.headers.get('x-ferry-model-served')).toBe('gpt-4o-mini')
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0)
    const upstream = openaiUp.requests.at(-1)
    expect(upstream?.headers['x-request-id']).toBe(requestId)
    expect(upstream?.headers.authorization).toBe('Bearer sk-upstream-secret')
  })

  it('streams chat with the usage chunk only when include_usage was asked', async () => {
    const withUsage = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks = []
    for await (const chunk of withUsage) chunks.push(chunk)
    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk)
    expect(chunks.at(-1)?.choices).toEqual([])
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0)

    const without = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    })
    const plain = []
    for await (const chunk of without) plain.push(chunk)
    expect(plain.length).toBeGreaterThan(1)
    expect(plain.every((c) => c.choices.length > 0)).toBe(true)
    expect(plain.at(-1)?.choices[0]?.finish_reason).toBe('stop')
  })

  it('serves the stream() helper to a final chat completion, over the built-in mock too', async () => {
    for (const model of ['gpt-4o-mini', 'mock?completionTokens=12']) {
      const stream = client.chat.completions.stream({ model, messages })
      const final = await stream.finalChatCompletion()
      expect(final.choices[0]?.finish_reason).toBe('stop')
      expect(final.choices[0]?.message.content?.length).toBeGreaterThan(0)
    }
  })

  it('passes tools and unknown fields through and returns tool_calls', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: 'required',
      // @ts-expect-error an undocumented parameter must reach the upstream untouched
      ferry_passthrough_probe: { nested: [1, 2] },
    })
    assertMatchesSchema('CreateChatCompletionResponse', completion)
    expect(completion.choices[0]?.message.tool_calls?.[0]?.type).toBe('function')
    const sent = openaiUp.requests.at(-1)?.body
    expect(sent?.ferry_passthrough_probe).toEqual({ nested: [1, 2] })
    expect(sent?.tools).toHaveLength(1)
  })

  it('answers embeddings as base64 (the SDK default) and as floats', async () => {
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hi' })
    expect(openaiUp.requests.at(-1)?.body?.encoding_format).toBe('base64')
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hi',
      encoding_format: 'float',
    })
    assertMatchesSchema('CreateEmbeddingResponse', floats)
    const a = decoded.data[0]?.embedding ?? []
    const b = floats.data[0]?.embedding ?? []
    expect(a.length).toBe(b.length)
    expect(a.length).toBeGreaterThan(0)
    a.forEach((value, i) => expect(value).toBeCloseTo(b[i] ?? NaN, 5))
    const mock = await client.embeddings.create({ model: 'mock-embedding', input: 'hi' })
    expect(mock.data[0]?.embedding.length).toBe(256)
  })

  it('answers legacy completions', async () => {
    const completion = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Hi' })
    assertMatchesSchema('CreateCompletionResponse', completion)
    const stream = await client.completions.create({ model: 'mock', prompt: 'Hi', stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    expect(text.length).toBeGreaterThan(0)
  })

  it('answers the Responses API, streaming and not', async () => {
    for (const model of ['gpt-4o-mini', 'mock']) {
      const response = await client.responses.create({ model, input: 'Say hello' })
      expect(response.output_text.length).toBeGreaterThan(0)
      const stream = client.responses.stream({ model, input: 'Say hello' })
      const final = await stream.finalResponse()
      expect(final.status).toBe('completed')
      expect(final.output_text.length).toBeGreaterThan(0)
    }
  })

  it('lists and retrieves models, filtered by the key', async () => {
    const page = await client.models.list()
    const ids = page.data.map((m) => m.id)
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'mock', 'claude-haiku']))
    page.data.forEach((m) => assertMatchesSchema('Model', m))
    expect((await client.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini')
    const scoped = new OpenAI({
      apiKey: (await newKey({ models: ['mock'] })).secret,
      baseURL,
      maxRetries: 0,
    })
    expect((await scoped.models.list()).data.map((m) => m.id)).toEqual(['mock'])
    await expect(scoped.models.retrieve('gpt-4o-mini')).rejects.toBeInstanceOf(OpenAI.NotFoundError)
    await expect(
      scoped.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' })
  })

  it('maps errors to the SDK classes with codes and request ids', async () => {
    const badKey = new OpenAI({ apiKey: 'sk-ferry-nope', baseURL, maxRetries: 0 })
    const unauthorized = await badKey.models.list().catch((e: unknown) => e)
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(unauthorized).toMatchObject({ code: 'invalid_api_key' })

    const unknown = await client.chat.completions
      .create({ model: 'no-such-model', messages })
      .catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect(unknown).toMatchObject({ code: 'model_not_found', param: 'model' })
    expect((unknown as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(/^req_/)

    const invalid = await client.chat.completions
      // @ts-expect-error messages missing on purpose
      .create({ model: 'gpt-4o-mini' })
      .catch((e: unknown) => e)
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError)
    expect(invalid).toMatchObject({ param: 'messages' })

    openaiUp.setFault({ type: 'status', status: 500 })
    const upstream500 = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e)
    expect(upstream500).toBeInstanceOf(OpenAI.InternalServerError)
  })

  it('refuses over the rate limit with 429 and retry-after', async () => {
    const limited = new OpenAI({
      apiKey: (await newKey({ rpm: 1 })).secret,
      baseURL,
      maxRetries: 0,
    })
    await limited.chat.completions.create({ model: 'mock', messages })
    const refused = await limited.chat.completions
      .create({ model: 'mock', messages })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError)
    expect(
      Number((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')),
    ).toBeGreaterThan(0)
  })

  it('ends a failed stream with an error event the SDK throws', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock?failAfterChunks=2',
      messages,
      stream: true,
    })
    const seen: unknown[] = []
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk)
    })().catch((e: unknown) => e)
    expect(seen.length).toBe(2)
    expect(failure).toBeInstanceOf(OpenAI.APIError)
  })

  it('cancels the upstream within 500 ms when the client aborts a stream', async () => {
    openaiUp.setChunkDelay(50)
    const controller = new AbortController()
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { signal: controller.signal },
    )
    const iterator = stream[Symbol.asyncIterator]()
    await iterator.next()
    const closed = openaiUp.nextSocketClose()
    const abortedAt = performance.now()
    controller.abort()
    const closedAt = await closed
    expect(closedAt - abortedAt).toBeLessThan(500)

    // The abandoned request still gets its access line, with what was delivered counted.
    const abandoned = () =>
      built.logs.records().findLast((r) => r.streamOutcome === 'client_aborted' && 'status' in r)
    await expect.poll(abandoned).toMatchObject({ status: 499, modelRequested: 'gpt-4o-mini' })
    // Only the opening (role) chunk reached the client: the prompt is counted, the reply text
    // delivered so far (none) is what the completion count says.
    expect(abandoned()).toMatchObject({ chunksDelivered: 1, usageSource: 'estimated' })
    expect(abandoned()?.promptTokens).toBeGreaterThan(0)
  })

  it('serves Azure-style clients (api-key header) and an Anthropic account', async () => {
    const azureStyle = new OpenAI({
      apiKey: 'unused',
      baseURL,
      maxRetries: 0,
      defaultHeaders: { 'api-key': secret, authorization: null },
    })
    const viaAzure = await azureStyle.chat.completions.create({ model: 'azure-4o-mini', messages })
    assertMatchesSchema('CreateChatCompletionResponse', viaAzure)
    expect(azureUp.requests.at(-1)?.url).toContain('/openai/deployments/gpt-4o-mini-prod/')

    const claude = await client.chat.completions.create({ model: 'claude-haiku', messages })
    assertMatchesSchema('CreateChatCompletionResponse', claude)
    const final = await client.chat.completions
      .stream({ model: 'claude-haiku', messages, stream_options: { include_usage: true } })
      .finalChatCompletion()
    expect(final.choices[0]?.finish_reason).toBe('stop')
    expect(anthropicUp.requests.at(-1)?.url).toBe('/v1/messages')
  })
})
