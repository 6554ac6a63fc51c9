import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  UpstreamClientError,
  createAnthropicAdapter,
  createUndiciTransport,
  isUsageOnlyChunk,
  type ChatChunk,
  type ChatRequest,
} from '../../../src/providers/index.js'
import { startAnthropicUpstream } from '../../support/mock-upstreams/anthropic-upstream.js'
import type { MockServerControls } from '../../support/mock-upstreams/mock-server.js'
import { MOCK_REPLY, replyPieces } from '../../support/mock-upstreams/openai-wire.js'
import { collect, testContext } from '../../support/mock-upstreams/test-context.js'
import { assertMatchesSchema } from '../../support/openapi-validate.js'

const transport = createUndiciTransport()
const adapter = createAnthropicAdapter({ transport })
let upstream: MockServerControls

const context = (settings: Record<string, unknown> = {}) =>
  testContext({ kind: 'anthropic', baseUrl: upstream.origin, credential: 'sk-ant-mock', settings })

const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Zürich?' },
  ],
  ...extra,
})

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
]

beforeAll(async () => {
  upstream = await startAnthropicUpstream({ apiKey: 'sk-ant-mock', thinking: true })
})
afterEach(() => {
  upstream.setFault(null)
  upstream.requests.length = 0
})
afterAll(async () => {
  await transport.close()
  await upstream.close()
})

describe('anthropic adapter against a local Anthropic', () => {
  it('sends a Messages request with Anthropic’s headers and a default max_tokens', async () => {
    const result = await adapter.chat(chat(), context({ betas: ['prompt-caching-2024-07-31'] }).ctx)
    const sent = upstream.requests[0]!
    expect(sent.url).toBe('/v1/messages')
    expect(sent.headers).toMatchObject({
      'x-api-key': 'sk-ant-mock',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'prompt-caching-2024-07-31',
      'x-request-id': 'req_test_0001',
    })
    expect(sent.headers.authorization).toBeUndefined()
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Zürich?' }] }],
    })
    assertMatchesSchema('CreateChatCompletionResponse', result.body)
    expect(result.body.choices[0]!.message.content).toBe(MOCK_REPLY)
    expect(result.body.id).toBe('chatcmpl-msg_mock')
    expect(result.usage).toEqual({
      promptTokens: 34,
      cachedTokens: 10,
      cacheWriteTokens: 3,
      completionTokens: 4 + replyPieces(MOCK_REPLY).length,
      reasoningTokens: 0,
    })
    expect(result.body.usage).toMatchObject({
      prompt_tokens: 34,
      prompt_tokens_details: { cached_tokens: 10, cache_write_tokens: 3 },
    })
    expect(result.upstream.requestId).toBe('req_anthropic_mock')
  })

  it('translates a forced tool call both ways', async () => {
    const result = await adapter.chat(chat({ tools, tool_choice: 'required' }), context().ctx)
    expect(upstream.requests[0]!.body).toMatchObject({
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    })
    const choice = result.body.choices[0]!
    expect(choice.finish_reason).toBe('tool_calls')
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'toolu_mock1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Zürich"}' },
      },
    ])
    assertMatchesSchema('CreateChatCompletionResponse', result.body)
  })

  it('streams text and tool calls as OpenAI chunks with the usage chunk last', async () => {
    const stream = await adapter.chatStream(
      chat({ stream: true, tools, tool_choice: 'required' }),
      context().ctx,
    )
    expect(upstream.requests[0]!.body).toMatchObject({ stream: true })
    const chunks: ChatChunk[] = await collect(stream)
    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(MOCK_REPLY)
    const args = chunks
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
      .map((t) => t.function?.arguments ?? '')
    expect(args.join('')).toBe('{"city":"Zürich"}')
    expect(isUsageOnlyChunk(chunks.at(-1)!)).toBe(true)
    expect(stream.clientWantsUsage).toBe(false)
    expect(stream.outcome()).toMatchObject({
      status: 'completed',
      usageSource: 'reported',
      usage: { promptTokens: 34, cachedTokens: 10 },
    })
  })

  it('refuses what Anthropic cannot honour before calling it', async () => {
    const err = await adapter.chat(chat({ n: 3 }), context().ctx).catch((e: unknown) => e)
    expect(err).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'n',
      code: 'unsupported_value',
    })
    const logprobs = await adapter
      .chatStream(chat({ stream: true, logprobs: true }), context().ctx)
      .catch((e: unknown) => e)
    expect(logprobs).toMatchObject({ status: 400, param: 'logprobs' })
    expect(upstream.requests).toHaveLength(0)
  })

  it('refuses the endpoints Anthropic does not have', async () => {
    const { ctx } = context()
    for (const call of [
      () => adapter.embeddings({ model: 'claude', input: 'x' }, ctx),
      () => adapter.completions({ model: 'claude', prompt: 'x' }, ctx),
      () => adapter.responses({ model: 'claude', input: 'x' }, ctx),
    ]) {
      expect(await call().catch((e: unknown) => e)).toMatchObject({
        status: 400,
        param: 'model',
        code: 'unsupported_endpoint',
      })
    }
  })

  it('passes Anthropic’s 4xx through in OpenAI’s words', async () => {
    const missing = await adapter
      .chat(chat({ model: 'missing-model' }), context().ctx)
      .catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(UpstreamClientError)
    expect(missing).toMatchObject({
      status: 404,
      code: 'model_not_found',
      type: 'invalid_request_error',
    })
    const long = await adapter
      .chat(chat({ model: 'long-prompt' }), context().ctx)
      .catch((e: unknown) => e)
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' })
  })

  it('classifies an overloaded error event mid-stream', async () => {
    upstream.setFault({ type: 'stream-error', afterChunks: 8 })
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    const err = await collect(stream).catch((e: unknown) => e)
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'overloaded', status: 503 })
    // message_start's input counts survive a failed stream.
    expect(stream.outcome()).toMatchObject({
      status: 'upstream_failed',
      usageSource: 'estimated',
      usage: { promptTokens: 34, cachedTokens: 10 },
    })
  })

  it('closes the upstream connection within 500 ms of a client abort', async () => {
    upstream.setFault({ type: 'stream-stall', afterChunks: 9 })
    const { ctx, abort } = context()
    const stream = await adapter.chatStream(chat({ stream: true }), ctx)
    const iterator = stream[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.value).toMatchObject({ choices: [{ delta: { role: 'assistant' } }] })
    await iterator.next()
    const pending = iterator.next().catch((e: unknown) => e)
    const closed = upstream.nextSocketClose()
    const abortedAt = performance.now()
    abort()
    expect((await closed) - abortedAt).toBeLessThan(500)
    expect(await pending).toMatchObject({ name: 'AbortError' })
    expect(stream.outcome()).toMatchObject({
      status: 'client_aborted',
      usage: { promptTokens: 34 },
    })
  })

  it('lists models in OpenAI’s shape', async () => {
    const models = await adapter.listModels(context().ctx)
    expect(models.data).toEqual([
      { id: 'claude-sonnet-4-5', object: 'model', created: 1759104000, owned_by: 'anthropic' },
    ])
  })
})
