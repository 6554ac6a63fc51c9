import { setTimeout as sleep } from 'node:timers/promises'
import {
  countTextTokens,
  estimateChatPromptTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  estimateResponsesInputTokens,
} from '../count-tokens.js'
import { encodeEmbedding, requestedEncoding } from '../embedding-encoding.js'
import { meterStream, type StreamItemReader } from '../metered-stream.js'
import type { EmbeddingsResponse } from '../openai-types.js'
import type { ProviderAdapter, UpstreamInfo, UpstreamStream } from '../provider-adapter.js'
import { chatChunkReader, completionChunkReader, responseEventReader } from '../stream-readers.js'
import { ZERO_USAGE, type TokenUsage } from '../token-usage.js'
import type { UpstreamContext } from '../upstream-context.js'
import { abortReason } from '../call-upstream.js'
import {
  chatChunks,
  chatCompletion,
  completion,
  completionChunks,
  responseEvents,
  responseObject,
  type MockAnswer,
} from './mock-bodies.js'
import { failureAt, failureBeforeFirstByte } from './mock-failures.js'
import { resolveMockSettings, type MockSettings } from './mock-settings.js'
import { promptSeed } from './mock-text.js'
import { chatAnswer, numberOr, textAnswer, type MockCall } from './mock-answer.js'

const MOCK_MODELS = ['mock', 'mock-embedding']

/**
 * The built-in mock provider: no network, deterministic text from the prompt, and every knob of
 * mock-settings.ts (tokens, latency, chunking, failures before the first byte or mid-stream,
 * malformed chunks, missing usage). Failures are the same classified errors a real upstream
 * would give, and streams go through the same meter, so demos, tests and load tests exercise
 * the real gateway paths.
 */
export function createMockAdapter(): ProviderAdapter {
  return {
    kind: 'mock',

    async chat(request, ctx) {
      const call = await begin(request.model, ctx)
      const answer = chatAnswer(request, call)
      await generationTime(call.settings, answer, ctx)
      return result(chatCompletion(answer), {
        answer,
        call,
        estimatePrompt: () => estimateChatPromptTokens(request),
      })
    },

    async chatStream(request, ctx) {
      const call = await begin(request.model, ctx)
      const clientWantsUsage = request.stream_options?.include_usage === true
      const answer = chatAnswer(request, call)
      return stream({
        items: chatChunks(answer, clientWantsUsage),
        call,
        clientWantsUsage,
        reader: chatChunkReader,
        estimatePromptTokens: () => estimateChatPromptTokens(request),
      })
    },

    async completions(request, ctx) {
      const call = await begin(request.model, ctx)
      const answer = textAnswer({
        call,
        prompt: JSON.stringify(request.prompt ?? ''),
        promptTokens: () => estimateCompletionPromptTokens(request),
        limit: request.max_tokens ?? 16,
        n: request.n,
      })
      await generationTime(call.settings, answer, ctx)
      return result(completion(answer), {
        answer,
        call,
        estimatePrompt: () => estimateCompletionPromptTokens(request),
      })
    },

    async completionsStream(request, ctx) {
      const call = await begin(request.model, ctx)
      const answer = textAnswer({
        call,
        prompt: JSON.stringify(request.prompt ?? ''),
        promptTokens: () => estimateCompletionPromptTokens(request),
        limit: request.max_tokens ?? 16,
        n: request.n,
      })
      const clientWantsUsage = request.stream_options?.include_usage === true
      return stream({
        items: completionChunks(answer),
        call,
        clientWantsUsage,
        reader: completionChunkReader,
        estimatePromptTokens: () => estimateCompletionPromptTokens(request),
      })
    },

    async embeddings(request, ctx) {
      const call = await begin(request.model, ctx)
      const inputs =
        Array.isArray(request.input) && !request.input.every((x) => typeof x === 'number')
          ? request.input
          : [request.input]
      const dimensions =
        typeof request.dimensions === 'number'
          ? request.dimensions
          : call.settings.embeddingDimensions
      const format = requestedEncoding(request.encoding_format)
      const promptTokens = estimateEmbeddingTokens(request)
      const body: EmbeddingsResponse = {
        object: 'list',
        data: inputs.map((input, index) => ({
          object: 'embedding',
          index,
          embedding: encodeEmbedding(mockVector(JSON.stringify(input), dimensions), format),
        })),
        model: call.model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      }
      return {
        body,
        usage: { ...ZERO_USAGE, promptTokens },
        usageSource: 'reported',
        upstream: call.info,
      }
    },

    async responses(request, ctx) {
      const call = await begin(request.model ?? 'mock', ctx)
      const answer = textAnswer({
        call,
        prompt: JSON.stringify(request.input ?? ''),
        promptTokens: () => estimateResponsesInputTokens(request),
        limit: numberOr(request.max_output_tokens),
        n: 1,
      })
      await generationTime(call.settings, answer, ctx)
      return result(responseObject(answer, request), {
        answer,
        call,
        estimatePrompt: () => estimateResponsesInputTokens(request),
      })
    },

    async responsesStream(request, ctx) {
      const call = await begin(request.model ?? 'mock', ctx)
      const answer = textAnswer({
        call,
        prompt: JSON.stringify(request.input ?? ''),
        promptTokens: () => estimateResponsesInputTokens(request),
        limit: numberOr(request.max_output_tokens),
        n: 1,
      })
      return stream({
        items: responseEvents(answer, request),
        call,
        clientWantsUsage: true,
        reader: responseEventReader,
        estimatePromptTokens: () => estimateResponsesInputTokens(request),
      })
    },

    async listModels(ctx) {
      const call = await begin('mock', ctx)
      const created = Math.floor(ctx.clock.nowMs() / 1000)
      return {
        data: MOCK_MODELS.map((id) => ({
          id,
          object: 'model' as const,
          created,
          owned_by: 'ferry-mock',
        })),
        upstream: call.info,
      }
    },
  }
}

async function begin(modelWithKnobs: string, ctx: UpstreamContext): Promise<MockCall> {
  ctx.signal.throwIfAborted()
  const { model, settings } = resolveMockSettings(modelWithKnobs, ctx.account)
  const startedAtMs = ctx.clock.nowMs()
  await pause(settings.latencyMs, ctx)
  const failure = failureBeforeFirstByte(settings, ctx)
  if (failure) throw failure
  const info: UpstreamInfo = {
    status: 200,
    requestId: `mock_${ctx.requestId}`,
    ttfbMs: Math.max(0, ctx.clock.nowMs() - startedAtMs),
  }
  return { model, settings, ctx, info, startedAtMs }
}

async function pause(ms: number, ctx: UpstreamContext): Promise<void> {
  if (ms <= 0) return
  try {
    await sleep(ms, undefined, { signal: ctx.signal })
  } catch {
    throw abortReason(ctx.signal)
  }
}

/** A non-streaming mock takes as long as its stream would. */
async function generationTime(
  settings: MockSettings,
  answer: MockAnswer,
  ctx: UpstreamContext,
): Promise<void> {
  await pause(settings.chunkDelayMs * answer.chunks.length, ctx)
}

function result<Body>(
  body: Body,
  parts: { answer: MockAnswer; call: MockCall; estimatePrompt: () => number },
) {
  const { answer } = parts
  const usage: TokenUsage = answer.usage ?? {
    ...ZERO_USAGE,
    promptTokens: parts.estimatePrompt(),
    completionTokens: countTextTokens(answer.text) * answer.choices,
  }
  return {
    body,
    usage,
    usageSource: answer.usage ? ('reported' as const) : ('estimated' as const),
    upstream: parts.call.info,
  }
}

function stream<Item>(spec: {
  items: Item[]
  call: MockCall
  clientWantsUsage: boolean
  reader: StreamItemReader<Item>
  estimatePromptTokens: () => number
}): UpstreamStream<Item> {
  return meterStream({
    batches: paced(spec.items, spec.call),
    upstream: spec.call.info,
    clientWantsUsage: spec.clientWantsUsage,
    ctx: spec.call.ctx,
    startedAtMs: spec.call.startedAtMs,
    reader: spec.reader,
    estimatePromptTokens: spec.estimatePromptTokens,
  })
}

/** Hand items over at the configured pace (a batch each), failing where the settings say. */
async function* paced<Item>(items: Item[], call: MockCall): AsyncGenerator<Item[]> {
  const { settings, ctx } = call
  for (const [index, item] of items.entries()) {
    const failure = failureAt(settings, index)
    if (failure) throw failure
    if (index > 0) await pause(settings.chunkDelayMs, ctx)
    ctx.signal.throwIfAborted()
    yield [item]
  }
}

/** The same input always embeds to the same unit-length vector. */
function mockVector(input: string, dimensions: number): number[] {
  const seed = promptSeed(input)
  const values = Array.from({ length: dimensions }, (_, i) => Math.sin(seed + i * 12.9898))
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1
  return values.map((v) => v / norm)
}
