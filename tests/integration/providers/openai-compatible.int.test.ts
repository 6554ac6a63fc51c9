import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOpenAICompatibleAdapter } from '../../../src/providers/openai-compatible/openai-compatible-adapter.js'
import {
  UpstreamBadResponseError,
  UpstreamClientError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  createUndiciTransport,
  isUsageOnlyChunk,
  type ChatChunk,
  type ChatRequest,
} from '../../../src/providers/index.js'
import { base64ToFloats } from '../../../src/providers/embedding-encoding.js'
import { assertMatchesSchema } from '../../support/openapi-validate.js'
import { MOCK_REPLY, mockVector } from '../../support/mock-upstreams/openai-wire.js'
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
} from '../../support/mock-upstreams/openai-upstream.js'
import { collect, testContext } from '../../support/mock-upstreams/test-context.js'

const transport = createUndiciTransport()
const adapter = createOpenAICompatibleAdapter({ transport, kind: 'openai' })
let upstream: OpenAIUpstream

const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello.' },
  ],
  ...extra,
})

function context(
  extra: {
    timeouts?: { headersMs?: number; bodyIdleMs?: number; connectMs?: number }
    baseUrl?: string
  } = {},
) {
  return testContext({
    kind: 'openai',
    baseUrl: extra.baseUrl ?? upstream.baseUrl,
    credential: 'sk-mock-key',
    extraHeaders: { 'OpenAI-Organization': 'org-mock' },
    ...(extra.timeouts ? { timeouts: extra.timeouts } : {}),
  })
}

const contentOf = (chunks: ChatChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ apiKey: 'sk-mock-key' })
})
afterEach(() => {
  upstream.setFault(null)
  upstream.setChunkDelay(0)
  upstream.requests.length = 0
})
afterAll(async () => {
  await transport.close()
  await upstream.close()
})

describe('openai adapter against a local OpenAI', () => {
  it('sends the body untouched with the bearer credential, extra headers and request ID', async () => {
    const { ctx } = context()
    const result = await adapter.chat(
      chat({ some_future_field: { nested: [1, 2] }, temperature: 0.2 }),
      ctx,
    )
    const sent = upstream.requests[0]!
    expect(sent.url).toBe('/v1/chat/completions')
    expect(sent.headers.authorization).toBe('Bearer sk-mock-key')
    expect(sent.headers['openai-organization']).toBe('org-mock')
    expect(sent.headers['x-request-id']).toBe('req_test_0001')
    expect(sent.body).toEqual(chat({ some_future_field: { nested: [1, 2] }, temperature: 0.2 }))
    expect(result.body.choices[0]!.message.content).toBe(MOCK_REPLY)
    expect(result.body.x_mock_extension).toEqual({ kept: true })
    assertMatchesSchema('CreateChatCompletionResponse', result.body)
    expect(result.usageSource).toBe('reported')
    expect(result.usage).toMatchObject({ promptTokens: 17, cachedTokens: 5 })
    expect(result.upstream).toMatchObject({ status: 200, requestId: 'req_upstream_mock' })
  })

  it('forces include_usage upstream and says the client did not ask for it', async () => {
    const { ctx } = context()
    const stream = await adapter.chatStream(chat({ stream: true }), ctx)
    expect(upstream.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(stream.clientWantsUsage).toBe(false)
    const chunks = await collect(stream)
    expect(contentOf(chunks)).toBe(MOCK_REPLY)
    expect(chunks.filter(isUsageOnlyChunk)).toHaveLength(1)
    expect(isUsageOnlyChunk(chunks.at(-1)!)).toBe(true)
    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk)
    expect(stream.outcome()).toMatchObject({
      status: 'completed',
      usageSource: 'reported',
      usage: { promptTokens: 17 },
    })
  })

  it('keeps the client’s own stream_options and reports that it asked for usage', async () => {
    const { ctx } = context()
    const stream = await adapter.chatStream(
      chat({ stream: true, stream_options: { include_usage: true, include_obfuscation: false } }),
      ctx,
    )
    expect(upstream.requests[0]!.body!.stream_options).toEqual({
      include_usage: true,
      include_obfuscation: false,
    })
    expect(stream.clientWantsUsage).toBe(true)
    await collect(stream)
  })

  it('estimates usage when the upstream sends none, and adds a usage chunk only if the client asked', async () => {
    upstream.setFault({ type: 'no-usage' })
    const { ctx } = context()
    const stream = await adapter.chatStream(
      chat({ stream: true, stream_options: { include_usage: true } }),
      ctx,
    )
    const chunks = await collect(stream)
    const last = chunks.at(-1)!
    expect(isUsageOnlyChunk(last)).toBe(true)
    assertMatchesSchema('CreateChatCompletionStreamResponse', last)
    expect(stream.outcome().usageSource).toBe('estimated')
    expect(stream.outcome().usage.completionTokens).toBeGreaterThan(3)
    expect(stream.outcome().usage.promptTokens).toBeGreaterThan(10)

    const { ctx: ctx2 } = context()
    const quiet = await adapter.chatStream(chat({ stream: true }), ctx2)
    expect((await collect(quiet)).some(isUsageOnlyChunk)).toBe(false)
    expect(quiet.outcome().usageSource).toBe('estimated')
  })

  it('streams a tool call', async () => {
    const { ctx } = context()
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
    ]
    const stream = await adapter.chatStream(
      chat({ stream: true, tools, tool_choice: 'required' }),
      ctx,
    )
    const chunks = await collect(stream)
    const args = chunks
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
      .map((t) => t.function?.arguments ?? '')
      .join('')
    expect(JSON.parse(args)).toEqual({ city: 'Zürich' })
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true)
  })

  it('passes upstream 4xx errors through in OpenAI shape', async () => {
    const { ctx } = context()
    const err = await adapter.chat(chat({ model: 'missing-model' }), ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamClientError)
    expect(err).toMatchObject({
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: null,
    })

    upstream.setFault({
      type: 'status',
      status: 400,
      body: {
        error: {
          message: "This model's maximum context length is 8192 tokens.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    })
    const ctxErr = await adapter
      .chatStream(chat({ stream: true }), context().ctx)
      .catch((e: unknown) => e)
    expect(ctxErr).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
    })
  })

  it('never passes the upstream’s words about Ferry’s own credential to the client', async () => {
    const { ctx } = context({ baseUrl: upstream.baseUrl })
    ctx.account.credential = 'sk-wrong-key-123456789'
    const err = await adapter.chat(chat(), ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamUnavailableError)
    expect(err).toMatchObject({ status: 502, reason: 'authentication_failed', upstreamStatus: 401 })
    expect((err as Error).message).not.toContain('123456789')
  })

  it('classifies 429 with its retry-after, and 5xx', async () => {
    upstream.setFault({
      type: 'status',
      status: 429,
      headers: { 'retry-after': '7' },
      body: {
        error: {
          message: 'Rate limit reached for gpt-4o in organization org-x',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      },
    })
    const limited = await adapter.chat(chat(), context().ctx).catch((e: unknown) => e)
    expect(limited).toBeInstanceOf(UpstreamRateLimitedError)
    expect(limited).toMatchObject({
      status: 429,
      retryAfterMs: 7000,
      headers: { 'retry-after': '7' },
    })
    expect((limited as Error).message).not.toContain('org-x')

    upstream.setFault({
      type: 'status',
      status: 503,
      body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } },
    })
    expect(await adapter.chat(chat(), context().ctx).catch((e: unknown) => e)).toMatchObject({
      status: 503,
      reason: 'overloaded',
    })
    upstream.setFault({ type: 'status', status: 500 })
    expect(await adapter.chat(chat(), context().ctx).catch((e: unknown) => e)).toMatchObject({
      status: 502,
      reason: 'server_error',
    })
  })

  it('classifies a mid-stream error event and keeps what was delivered for metering', async () => {
    upstream.setFault({ type: 'stream-error', afterChunks: 3 })
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    const seen: ChatChunk[] = []
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk)
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamUnavailableError)
    expect(seen).toHaveLength(3)
    const outcome = stream.outcome()
    expect(outcome).toMatchObject({
      status: 'upstream_failed',
      usageSource: 'estimated',
      chunksDelivered: 3,
    })
    expect(outcome.error).toBe(err)
    expect(outcome.usage.completionTokens).toBeGreaterThan(0)
  })

  it('classifies malformed JSON, in a body and in a stream', async () => {
    upstream.setFault({ type: 'malformed' })
    expect(await adapter.chat(chat(), context().ctx).catch((e: unknown) => e)).toBeInstanceOf(
      UpstreamBadResponseError,
    )
    upstream.setFault({ type: 'malformed', afterChunks: 2 })
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    expect(await collect(stream).catch((e: unknown) => e)).toBeInstanceOf(UpstreamBadResponseError)
  })

  it('classifies a connection reset mid-stream and a refused connection', async () => {
    upstream.setFault({ type: 'stream-reset', afterChunks: 2 })
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    const err = await collect(stream).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamUnavailableError)
    expect(err).toMatchObject({ reason: 'connection_reset' })

    const refused = await adapter
      .chat(chat(), context({ baseUrl: 'http://127.0.0.1:1/v1' }).ctx)
      .catch((e: unknown) => e)
    expect(refused).toMatchObject({
      kind: 'unavailable',
      reason: 'connection_refused',
      status: 502,
    })
  })

  it('times out on headers and on a stalled body', async () => {
    upstream.setFault({ type: 'stall' })
    const headers = await adapter
      .chat(chat(), context({ timeouts: { headersMs: 200 } }).ctx)
      .catch((e: unknown) => e)
    expect(headers).toBeInstanceOf(UpstreamTimeoutError)
    expect(headers).toMatchObject({ status: 504, phase: 'headers', code: 'upstream_timeout' })

    upstream.setFault({ type: 'stream-stall', afterChunks: 2 })
    const stream = await adapter.chatStream(
      chat({ stream: true }),
      context({ timeouts: { bodyIdleMs: 200 } }).ctx,
    )
    const body = await collect(stream).catch((e: unknown) => e)
    expect(body).toMatchObject({ kind: 'timeout', phase: 'body' })
  })

  it('closes the upstream connection within 500 ms of a client abort', async () => {
    upstream.setFault({ type: 'stream-stall', afterChunks: 3 })
    const { ctx, abort } = context()
    const stream = await adapter.chatStream(chat({ stream: true }), ctx)
    const iterator = stream[Symbol.asyncIterator]()
    for (let i = 0; i < 3; i++) await iterator.next()
    const pending = iterator.next().catch((e: unknown) => e)
    const closed = upstream.nextSocketClose()
    const abortedAt = performance.now()
    abort()
    const closedAt = await closed
    expect(closedAt - abortedAt).toBeLessThan(500)
    expect(await pending).toMatchObject({ name: 'AbortError' })
    expect(stream.outcome()).toMatchObject({
      status: 'client_aborted',
      chunksDelivered: 3,
      usageSource: 'estimated',
    })
  })

  it('stops waiting for headers at once when the client aborts', async () => {
    upstream.setFault({ type: 'stall' })
    const { ctx, abort } = context()
    const pending = adapter.chat(chat(), ctx).catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const closed = upstream.nextSocketClose()
    const abortedAt = performance.now()
    abort()
    expect(await pending).toMatchObject({ name: 'AbortError' })
    expect((await closed) - abortedAt).toBeLessThan(500)
  })

  it('calls a base URL the upstream does not serve a gateway problem, not the client’s', async () => {
    const err = await adapter
      .chat(chat(), context({ baseUrl: `${upstream.origin}/wrong` }).ctx)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'endpoint_not_found', status: 502 })
    expect((err as Error).message).not.toContain('/wrong')
  })

  it('closes the upstream connection when the consumer stops reading early', async () => {
    upstream.setChunkDelay(50)
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    const closed = upstream.nextSocketClose()
    for await (const _ of stream) break
    const stoppedAt = performance.now()
    expect((await closed) - stoppedAt).toBeLessThan(500)
    expect(stream.outcome().status).toBe('client_aborted')
  })

  it('reuses the pooled connection for sequential calls', async () => {
    // undici opens a second connection when a call follows the previous one within the same
    // tick of its bookkeeping; from then on both are reused.
    await adapter.chat(chat(), context().ctx)
    await adapter.chat(chat(), context().ctx)
    const before = upstream.connectionCount()
    for (let i = 0; i < 3; i++)
      await collect(await adapter.chatStream(chat({ stream: true }), context().ctx))
    await adapter.chat(chat(), context().ctx)
    expect(upstream.connectionCount()).toBe(before)
  })

  it('answers embeddings in the encoding the client asked for, even from a server that ignores it', async () => {
    const floats = await adapter.embeddings(
      { model: 'text-embedding-3-small', input: ['a', 'b'] },
      context().ctx,
    )
    expect(floats.body.data[0]!.embedding).toEqual(mockVector('"a"', 8))
    assertMatchesSchema('CreateEmbeddingResponse', floats.body)
    expect(floats.usage.promptTokens).toBe(8)

    const b64 = await adapter.embeddings(
      { model: 'text-embedding-3-small', input: 'a', encoding_format: 'base64' },
      context().ctx,
    )
    expect(typeof b64.body.data[0]!.embedding).toBe('string')
    expect(base64ToFloats(b64.body.data[0]!.embedding as string)).toEqual(mockVector('"a"', 8))

    const sloppy = await startOpenAIUpstream({ ignoreEncodingFormat: true })
    try {
      const fixed = await adapter.embeddings(
        { model: 'text-embedding-3-small', input: 'a', encoding_format: 'base64' },
        context({ baseUrl: sloppy.baseUrl }).ctx,
      )
      expect(base64ToFloats(fixed.body.data[0]!.embedding as string)).toEqual(mockVector('"a"', 8))
    } finally {
      await sloppy.close()
    }
  })

  it('serves legacy completions, JSON and streaming', async () => {
    const json = await adapter.completions(
      { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' },
      context().ctx,
    )
    assertMatchesSchema('CreateCompletionResponse', json.body)
    expect(json.body.choices[0]!.text).toBe(MOCK_REPLY)
    const stream = await adapter.completionsStream(
      { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true },
      context().ctx,
    )
    const chunks = await collect(stream)
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(MOCK_REPLY)
    expect(stream.outcome()).toMatchObject({ status: 'completed', usageSource: 'reported' })
  })

  it('passes the Responses API through, JSON and streaming', async () => {
    const json = await adapter.responses({ model: 'gpt-4o-mini', input: 'Say hi' }, context().ctx)
    expect(json.body.object).toBe('response')
    expect(json.usage).toMatchObject({ promptTokens: 11 })
    const stream = await adapter.responsesStream(
      { model: 'gpt-4o-mini', input: 'Say hi', stream: true },
      context().ctx,
    )
    const events = await collect(stream)
    expect(events[0]!.type).toBe('response.created')
    expect(events.at(-1)!.type).toBe('response.completed')
    for (const event of events) assertMatchesSchema('ResponseStreamEvent', event)
    expect(stream.outcome()).toMatchObject({
      status: 'completed',
      usageSource: 'reported',
      usage: { promptTokens: 11 },
    })
  })

  it('lists models', async () => {
    const models = await adapter.listModels(context().ctx)
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-mini', 'text-embedding-3-small'])
    for (const model of models.data) assertMatchesSchema('Model', model)
  })
})
