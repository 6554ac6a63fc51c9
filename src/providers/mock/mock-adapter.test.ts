import { describe, expect, it } from 'vitest'
import { collect, testContext } from '../../../tests/support/mock-upstreams/test-context.js'
import { assertMatchesSchema } from '../../../tests/support/openapi-validate.js'
import { countTextTokens } from '../count-tokens.js'
import { base64ToFloats } from '../embedding-encoding.js'
import type { ChatRequest } from '../openai-types.js'
import { isUsageOnlyChunk } from '../provider-adapter.js'
import { createMockAdapter } from './mock-adapter.js'
import { mockReplyTokens } from './mock-text.js'

const adapter = createMockAdapter()
const ctxWith = (settings: Record<string, unknown> = {}) =>
  testContext({ kind: 'mock', baseUrl: 'mock://', credential: null, settings })
const chat = (model = 'mock', extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  messages: [{ role: 'user', content: 'Tell me about ferries.' }],
  ...extra,
})

describe('mock provider', () => {
  it('answers deterministically from the prompt, with exactly the configured tokens', async () => {
    const a = await adapter.chat(chat('mock?completionTokens=40'), ctxWith().ctx)
    const b = await adapter.chat(chat('mock?completionTokens=40'), ctxWith().ctx)
    const other = await adapter.chat(
      chat('mock?completionTokens=40', { messages: [{ role: 'user', content: 'Else' }] }),
      ctxWith().ctx,
    )
    const text = a.body.choices[0]!.message.content!
    expect(b.body.choices[0]!.message.content).toBe(text)
    expect(other.body.choices[0]!.message.content).not.toBe(text)
    expect(countTextTokens(text)).toBe(40)
    expect(a.usage.completionTokens).toBe(40)
    expect(a.body.model).toBe('mock')
    assertMatchesSchema('CreateChatCompletionResponse', a.body)
  })

  it('generates words that are one token each, whatever the seed', () => {
    for (const seed of [1, 7, 123_456, 0xdeadbeef]) {
      const pieces = mockReplyTokens({ seed, tokens: 300 })
      expect(countTextTokens(pieces.join(''))).toBe(300)
    }
  })

  it('takes settings from the account, and the model name overrides them', async () => {
    const { ctx } = ctxWith({ completionTokens: 5, chunkCount: 2 })
    const stream = await adapter.chatStream(chat('mock?chunkCount=3', { stream: true }), ctx)
    const chunks = await collect(stream)
    const content = chunks.filter(
      (c) => typeof c.choices[0]?.delta.content === 'string' && c.choices[0].delta.content !== '',
    )
    expect(content).toHaveLength(3)
    expect(stream.outcome().usage.completionTokens).toBe(5)
  })

  it('refuses a bad knob in the model name as a 400 on model', async () => {
    const err = await adapter
      .chat(chat('mock?completionTokens=-1'), ctxWith().ctx)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 400, param: 'model' })
  })

  it('stops at max_tokens with finish_reason length', async () => {
    const result = await adapter.chat(
      chat('mock?completionTokens=30', { max_completion_tokens: 7 }),
      ctxWith().ctx,
    )
    expect(result.body.choices[0]!.finish_reason).toBe('length')
    expect(result.usage.completionTokens).toBe(7)
  })

  it('waits its latency before answering and aborts promptly', async () => {
    const { ctx, abort } = ctxWith({ latencyMs: 5_000 })
    const started = performance.now()
    const pending = adapter.chat(chat(), ctx).catch((e: unknown) => e)
    setTimeout(() => abort(), 20)
    expect(await pending).toMatchObject({ name: 'AbortError' })
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('paces chunks and stops a paced stream on abort', async () => {
    const { ctx, abort } = ctxWith({ chunkDelayMs: 10_000, completionTokens: 5 })
    const stream = await adapter.chatStream(chat('mock', { stream: true }), ctx)
    const iterator = stream[Symbol.asyncIterator]()
    await iterator.next()
    const next = iterator.next().catch((e: unknown) => e)
    abort()
    expect(await next).toMatchObject({ name: 'AbortError' })
    expect(stream.outcome()).toMatchObject({ status: 'client_aborted', chunksDelivered: 1 })
  })

  it('omits usage when told to, and Ferry estimates it', async () => {
    const result = await adapter.chat(chat('mock?omitUsage=true'), ctxWith().ctx)
    expect(result.body.usage).toBeUndefined()
    expect(result.usageSource).toBe('estimated')
    const stream = await adapter.chatStream(
      chat('mock?omitUsage=true', { stream: true }),
      ctxWith().ctx,
    )
    const chunks = await collect(stream)
    expect(chunks.some(isUsageOnlyChunk)).toBe(false)
    expect(stream.outcome().usageSource).toBe('estimated')
  })

  it('answers n choices', async () => {
    const result = await adapter.chat(chat('mock?completionTokens=4', { n: 3 }), ctxWith().ctx)
    expect(result.body.choices.map((c) => c.index)).toEqual([0, 1, 2])
    expect(result.usage.completionTokens).toBe(12)
  })

  it('embeds deterministically, with dimensions and base64', async () => {
    const floats = await adapter.embeddings(
      { model: 'mock-embedding', input: ['a', 'b'], dimensions: 16 },
      ctxWith().ctx,
    )
    assertMatchesSchema('CreateEmbeddingResponse', floats.body)
    expect(floats.body.data).toHaveLength(2)
    const vector = floats.body.data[0]!.embedding as number[]
    expect(vector).toHaveLength(16)
    const b64 = await adapter.embeddings(
      { model: 'mock-embedding', input: 'a', encoding_format: 'base64', dimensions: 16 },
      ctxWith().ctx,
    )
    const decoded = base64ToFloats(b64.body.data[0]!.embedding as string)
    decoded.forEach((v, i) => expect(v).toBeCloseTo(vector[i]!, 6))
  })

  it('serves legacy completions and the Responses API, streaming too', async () => {
    const completion = await adapter.completions({ model: 'mock', prompt: 'Hi' }, ctxWith().ctx)
    assertMatchesSchema('CreateCompletionResponse', completion.body)
    expect(completion.usage.completionTokens).toBe(16)

    const response = await adapter.responses({ model: 'mock', input: 'Hi' }, ctxWith().ctx)
    assertMatchesSchema('Response', response.body)
    const stream = await adapter.responsesStream(
      { model: 'mock', input: 'Hi', stream: true },
      ctxWith().ctx,
    )
    const events = await collect(stream)
    for (const event of events) assertMatchesSchema('ResponseStreamEvent', event)
    expect(events.at(-1)!.type).toBe('response.completed')
    expect(stream.outcome()).toMatchObject({
      status: 'completed',
      usageSource: 'reported',
      usage: { completionTokens: 16 },
    })
  })

  it('forces a tool call when the request requires one', async () => {
    const result = await adapter.chat(
      chat('mock', {
        tools: [{ type: 'function', function: { name: 'lookup' } }],
        tool_choice: 'required',
      }),
      ctxWith().ctx,
    )
    expect(result.body.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ function: { name: 'lookup', arguments: '{}' } }] },
    })
  })
})
