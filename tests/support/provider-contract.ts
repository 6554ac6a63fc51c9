import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  isUsageOnlyChunk,
  type ChatChunk,
  type ChatRequest,
  type ChatStream,
  type ProviderAdapter,
  type TokenUsage,
  type UpstreamContext,
  type UpstreamFailureKind,
} from '../../src/providers/index.js'
import { assertMatchesSchema } from './openapi-validate.js'

/**
 * The provider contract (STYLE §3.7): every adapter, fed the same situations in its own wire
 * format, must produce the same OpenAI chunks, usage, finish reasons and classified errors.
 * Byte-level drivers replay recorded upstream bytes (tests/support/mock-upstreams/recordings.ts)
 * cut at arbitrary offsets, including inside UTF-8 characters.
 */
export const CONTRACT_SCENARIOS = [
  'stream',
  'stream-no-usage',
  'stream-tool-call',
  'stream-error',
  'stream-malformed',
  'stream-truncated',
  'stream-reset',
  'json',
  'json-malformed',
  'status-429',
  'status-500',
  'status-overloaded',
  'status-400-context',
  'status-404-model',
  'status-401',
  'connect-refused',
  'headers-timeout',
] as const

export type ContractScenario = (typeof CONTRACT_SCENARIOS)[number]

export interface ContractSetup {
  adapter: ProviderAdapter
  ctx: UpstreamContext
}

export interface ContractDriver {
  /** Suite title, e.g. `anthropic`. */
  name: string
  /**
   * The adapter and a context for one run of a scenario. Byte-level drivers cut the scenario's
   * recorded body at `splits`; others ignore them.
   */
  setup(scenario: ContractScenario, splits: readonly number[]): ContractSetup
  /** Whether the body is replayed as bytes (then the split property runs). */
  byteLevel: boolean
  /** Scenarios the driver cannot produce (e.g. the mock has no 401), skipped with a reason. */
  unsupported?: Partial<Record<ContractScenario, string>>
  expected: {
    /** The assistant text of `stream` and `json`. */
    text: string
    /** The usage the upstream reports for `stream` and `json`. */
    usage: TokenUsage
    /** The tool call of `stream-tool-call`. */
    toolCall: { name: string; arguments: string }
    /** HTTP status of the classified mid-stream error of `stream-error`. */
    midStreamErrorStatus: number
  }
}

/** The chat request every scenario sends (tools only for the tool-call scenario). */
export function contractRequest(
  scenario: ContractScenario,
  options: { stream: boolean; includeUsage?: boolean },
): ChatRequest {
  const request: ChatRequest = {
    model: 'contract-model',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to the wörld.' },
    ],
    max_tokens: 64,
  }
  if (options.stream) {
    request.stream = true
    if (options.includeUsage) request.stream_options = { include_usage: true }
  }
  if (scenario === 'stream-tool-call') {
    request.tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather by city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string' } },
          },
        },
      },
    ]
    request.tool_choice = 'required'
  }
  return request
}

async function readAll(stream: ChatStream): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = []
  try {
    for await (const chunk of stream) chunks.push(chunk)
    return { chunks, error: undefined }
  } catch (error) {
    return { chunks, error }
  }
}

async function openAndRead(setup: ContractSetup, request: ChatRequest) {
  const stream = await setup.adapter.chatStream(request, setup.ctx)
  const { chunks, error } = await readAll(stream)
  return { stream, chunks, error }
}

const textOf = (chunks: ChatChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')

function expectWellFormedStream(chunks: ChatChunk[], finish: string): void {
  expect(chunks.length).toBeGreaterThan(2)
  for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk)
  expect(new Set(chunks.map((c) => c.id)).size, 'one id for every chunk').toBe(1)
  expect(new Set(chunks.map((c) => c.created)).size, 'one created for every chunk').toBe(1)
  expect(chunks[0]!.choices[0]!.delta.role, 'role on the first delta').toBe('assistant')
  const withChoices = chunks.filter((c) => c.choices.length > 0)
  const finishes = withChoices.map((c) => c.choices[0]!.finish_reason).filter((f) => f !== null)
  expect(finishes, 'exactly one finish_reason').toEqual([finish])
  expect(
    withChoices.at(-1)!.choices[0]!.finish_reason,
    'finish_reason on the last choice chunk',
  ).toBe(finish)
}

function expectUsageChunk(chunk: ChatChunk | undefined, usage: TokenUsage): void {
  expect(chunk && isUsageOnlyChunk(chunk), 'a final usage-only chunk').toBe(true)
  expect(chunk!.usage).toMatchObject({
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  })
  expect(chunk!.usage!.prompt_tokens_details?.cached_tokens ?? 0).toBe(usage.cachedTokens)
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

const ERROR_SCENARIOS: Array<{
  scenario: ContractScenario
  kind: UpstreamFailureKind
  fields: Record<string, unknown>
}> = [
  {
    scenario: 'status-429',
    kind: 'rate_limited',
    fields: {
      status: 429,
      code: 'upstream_rate_limited',
      retryAfterMs: expect.any(Number) as unknown,
      headers: { 'retry-after': expect.stringMatching(/^[1-9]\d*$/) as unknown },
    },
  },
  {
    scenario: 'status-500',
    kind: 'unavailable',
    fields: { status: 502, reason: 'server_error', upstreamStatus: 500 },
  },
  {
    scenario: 'status-overloaded',
    kind: 'unavailable',
    fields: { status: 503, reason: 'overloaded' },
  },
  {
    scenario: 'status-400-context',
    kind: 'client_error',
    fields: {
      status: 400,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
    },
  },
  {
    scenario: 'status-404-model',
    kind: 'client_error',
    fields: { status: 404, type: 'invalid_request_error' },
  },
  {
    scenario: 'status-401',
    kind: 'unavailable',
    fields: { status: 502, reason: 'authentication_failed', upstreamStatus: 401 },
  },
  {
    scenario: 'connect-refused',
    kind: 'unavailable',
    fields: { status: 502, reason: 'connection_refused', upstreamStatus: null },
  },
  {
    scenario: 'headers-timeout',
    kind: 'timeout',
    fields: { status: 504, code: 'upstream_timeout', phase: 'headers' },
  },
]

/** Run the whole contract for one adapter. */
export function runProviderContract(driver: ContractDriver): void {
  const { expected } = driver
  const skip = (scenario: ContractScenario) => driver.unsupported?.[scenario] !== undefined
  const setup = (scenario: ContractScenario, splits: readonly number[] = []) =>
    driver.setup(scenario, splits)

  describe(`provider contract: ${driver.name}`, () => {
    it('streams the reply as well-formed OpenAI chunks with the upstream usage last', async () => {
      const { stream, chunks, error } = await openAndRead(
        setup('stream'),
        contractRequest('stream', { stream: true, includeUsage: true }),
      )
      expect(error).toBeUndefined()
      expectWellFormedStream(chunks, 'stop')
      expect(textOf(chunks)).toBe(expected.text)
      expectUsageChunk(chunks.at(-1), expected.usage)
      for (const chunk of chunks.slice(0, -1))
        expect(chunk.usage, 'usage: null on the other chunks').toBeNull()
      expect(stream.clientWantsUsage).toBe(true)
      expect(stream.outcome()).toMatchObject({
        status: 'completed',
        usageSource: 'reported',
        usage: expected.usage,
        error: null,
        chunksDelivered: chunks.length,
      })
    })

    it('asks for usage even when the client did not, and marks the chunk to strip', async () => {
      const { stream, chunks } = await openAndRead(
        setup('stream'),
        contractRequest('stream', { stream: true }),
      )
      expect(stream.clientWantsUsage).toBe(false)
      expect(chunks.filter(isUsageOnlyChunk)).toHaveLength(1)
      expect(isUsageOnlyChunk(chunks.at(-1)!)).toBe(true)
      expect(stream.outcome().usage).toEqual(expected.usage)
    })

    if (driver.byteLevel) {
      it('gives the same chunks however the upstream bytes are split (property)', async () => {
        const request = contractRequest('stream', { stream: true, includeUsage: true })
        const whole = await openAndRead(setup('stream'), request)
        await fc.assert(
          fc.asyncProperty(fc.array(fc.nat({ max: 20_000 }), { maxLength: 40 }), async (splits) => {
            const split = await openAndRead(setup('stream', splits), request)
            expect(split.error).toBeUndefined()
            expect(split.chunks).toEqual(whole.chunks)
          }),
          { numRuns: 30 },
        )
      })

      it('gives the same chunks when every byte arrives alone (inside every UTF-8 character)', async () => {
        const request = contractRequest('stream', { stream: true, includeUsage: true })
        const whole = await openAndRead(setup('stream'), request)
        const everyByte = Array.from({ length: 20_000 }, (_, i) => i)
        const split = await openAndRead(setup('stream', everyByte), request)
        expect(split.chunks).toEqual(whole.chunks)
      })
    }

    it('estimates usage when the upstream reports none, from the request and the delivered text', async () => {
      const { stream, chunks, error } = await openAndRead(
        setup('stream-no-usage'),
        contractRequest('stream-no-usage', { stream: true, includeUsage: true }),
      )
      expect(error).toBeUndefined()
      expect(textOf(chunks)).toBe(expected.text)
      const outcome = stream.outcome()
      expect(outcome).toMatchObject({ status: 'completed', usageSource: 'estimated' })
      expect(outcome.usage.promptTokens).toBeGreaterThan(5)
      expect(outcome.usage.completionTokens).toBeGreaterThan(3)
      // The client asked for usage: it still gets exactly one usage chunk, with the estimate.
      expectUsageChunk(chunks.at(-1), outcome.usage)
      assertMatchesSchema('CreateChatCompletionStreamResponse', chunks.at(-1))
    })

    it('streams a tool call: id, type and name first, then the argument fragments', async () => {
      const { chunks, error } = await openAndRead(
        setup('stream-tool-call'),
        contractRequest('stream-tool-call', { stream: true }),
      )
      expect(error).toBeUndefined()
      expectWellFormedStream(
        chunks.filter((c) => !isUsageOnlyChunk(c)),
        'tool_calls',
      )
      const fragments = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
      expect(fragments[0]).toMatchObject({
        index: 0,
        type: 'function',
        function: { name: expected.toolCall.name },
      })
      expect(typeof fragments[0]!.id).toBe('string')
      expect(fragments.every((f) => f.index === 0)).toBe(true)
      expect(fragments.map((f) => f.function?.arguments ?? '').join('')).toBe(
        expected.toolCall.arguments,
      )
    })

    it('classifies an error mid-stream and keeps what was delivered for metering', async () => {
      if (skip('stream-error')) return
      const { stream, chunks, error } = await openAndRead(
        setup('stream-error'),
        contractRequest('stream-error', { stream: true }),
      )
      expect(error).toMatchObject({ kind: 'unavailable', status: expected.midStreamErrorStatus })
      expect(chunks.length).toBeGreaterThan(0)
      const outcome = stream.outcome()
      expect(outcome).toMatchObject({
        status: 'upstream_failed',
        usageSource: 'estimated',
        chunksDelivered: chunks.length,
      })
      expect(outcome.error).toBe(error)
    })

    it('classifies a malformed chunk as a bad upstream response', async () => {
      if (skip('stream-malformed')) return
      const { stream, error } = await openAndRead(
        setup('stream-malformed'),
        contractRequest('stream-malformed', { stream: true }),
      )
      expect(error).toMatchObject({
        kind: 'bad_response',
        status: 502,
        code: 'upstream_bad_response',
      })
      expect(stream.outcome().status).toBe('upstream_failed')
    })

    it('never lets a cut-off stream look like success', async () => {
      if (skip('stream-truncated')) return
      const { stream, error } = await openAndRead(
        setup('stream-truncated'),
        contractRequest('stream-truncated', { stream: true }),
      )
      expect(error).toMatchObject({ kind: 'bad_response' })
      expect(stream.outcome().status).toBe('upstream_failed')
    })

    it('classifies a connection reset mid-stream', async () => {
      if (skip('stream-reset')) return
      const { stream, chunks, error } = await openAndRead(
        setup('stream-reset'),
        contractRequest('stream-reset', { stream: true }),
      )
      expect(error).toMatchObject({ kind: 'unavailable', reason: 'connection_reset' })
      expect(chunks.length).toBeGreaterThan(0)
      expect(stream.outcome()).toMatchObject({
        status: 'upstream_failed',
        usageSource: 'estimated',
      })
    })

    it('answers a non-streaming call with a valid chat.completion and the upstream usage', async () => {
      const { adapter, ctx } = setup('json')
      const result = await adapter.chat(contractRequest('json', { stream: false }), ctx)
      assertMatchesSchema('CreateChatCompletionResponse', result.body)
      expect(result.body.choices[0]!.message.content).toBe(expected.text)
      expect(result.body.choices[0]!.finish_reason).toBe('stop')
      expect(result).toMatchObject({
        usage: expected.usage,
        usageSource: 'reported',
        upstream: { status: 200 },
      })
    })

    it('classifies a malformed JSON answer', async () => {
      if (skip('json-malformed')) return
      const { adapter, ctx } = setup('json-malformed')
      const err = await failureOf(() =>
        adapter.chat(contractRequest('json-malformed', { stream: false }), ctx),
      )
      expect(err).toMatchObject({ kind: 'bad_response', status: 502 })
    })

    for (const { scenario, kind, fields } of ERROR_SCENARIOS) {
      it(`classifies ${scenario} before the first byte, streaming or not`, async () => {
        if (skip(scenario)) return
        for (const stream of [false, true]) {
          const { adapter, ctx } = setup(scenario)
          const request = contractRequest(scenario, { stream })
          const err = await failureOf(() =>
            stream ? adapter.chatStream(request, ctx) : adapter.chat(request, ctx),
          )
          expect(err, `${scenario} stream=${String(stream)}`).toMatchObject({ kind, ...fields })
          const message = (err as Error).message
          expect(message).not.toContain(ctx.account.credential ?? '\u0000')
          expect(message).not.toMatch(/org-abc/)
        }
      })
    }

    it('stops at once when the caller aborts, reporting a client abort with delivered usage', async () => {
      const { adapter, ctx } = setup('stream')
      const controller = new AbortController()
      const aborting: UpstreamContext = { ...ctx, signal: controller.signal }
      const stream = await adapter.chatStream(contractRequest('stream', { stream: true }), aborting)
      const iterator = stream[Symbol.asyncIterator]()
      await iterator.next()
      await iterator.next()
      controller.abort()
      const err = await failureOf(() => iterator.next())
      expect(err).toMatchObject({ name: 'AbortError' })
      const outcome = stream.outcome()
      expect(outcome).toMatchObject({
        status: 'client_aborted',
        chunksDelivered: 2,
        usageSource: 'estimated',
      })
      expect(outcome.usage.promptTokens).toBeGreaterThan(0)
    })
  })
}
