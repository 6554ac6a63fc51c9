import { classifyStreamError } from '../classify-failure.js'
import type { ChatChunk, ChatChunkChoice, ChatDelta } from '../openai-types.js'
import { mapEventBatches, type SseEvent } from '../sse-decoder.js'
import { toCompletionUsage, type TokenUsage } from '../token-usage.js'
import { UpstreamBadResponseError } from '../upstream-errors.js'
import { anthropicErrorInfo } from './anthropic-dialect.js'
import type { AnthropicUsage } from './anthropic-types.js'
import {
  chatCompletionId,
  fromAnthropicUsage,
  hasCounts,
  mergeAnthropicUsage,
  toFinishReason,
} from './from-anthropic-response.js'

/** What the translator needs besides the events. */
export interface AnthropicStreamOptions {
  createdSeconds: number
  /** Put `usage: null` on every chunk but the usage chunk, as OpenAI does when usage was asked. */
  clientWantsUsage: boolean
  credential: string | null
  upstreamRequestId: string | null
}

/**
 * Anthropic's named SSE events → OpenAI chat chunks, for one message:
 * - `message_start` → the first chunk, `delta: {role: 'assistant', content: ''}`;
 * - text deltas → `delta.content`; a `tool_use` block → a tool call (index counted over tool
 *   blocks only, from 0) whose `input_json_delta` fragments become `function.arguments`;
 * - `message_stop` → the finish chunk, then the usage chunk (`choices: []`) from the cumulative
 *   usage of `message_start` and `message_delta`;
 * - `ping`, thinking and signature deltas, unknown events → nothing; `error` → a classified error.
 * A stream that ends before `message_stop` was cut off: UpstreamBadResponseError.
 */
export class AnthropicStreamTranslator {
  readonly #options: AnthropicStreamOptions
  #id: string | null = null
  #model = ''
  #usage: AnthropicUsage = {}
  // A proxy in front of Anthropic may strip usage; then the meter estimates instead of
  // billing zeros.
  #usageReported = false
  #stopReason: string | null = null
  readonly #toolIndex = new Map<number, number>()
  #finished = false

  constructor(options: AnthropicStreamOptions) {
    this.#options = options
  }

  /** The prompt-side counts `message_start` reported, for metering a stream cut short. */
  partialUsage(): Partial<TokenUsage> | null {
    if (!this.#usageReported) return null
    const { promptTokens, cachedTokens, cacheWriteTokens } = fromAnthropicUsage(this.#usage)
    return { promptTokens, cachedTokens, cacheWriteTokens }
  }

  /** Translate one event into zero or more chunks. */
  translate(event: SseEvent): ChatChunk[] {
    if (this.#finished) return []
    const data = this.#parse(event)
    switch (data.type) {
      case 'message_start':
        return this.#start(data.message)
      case 'content_block_start':
        return this.#blockStart(data)
      case 'content_block_delta':
        return this.#blockDelta(data)
      case 'message_delta':
        this.#messageDelta(data)
        return []
      case 'message_stop':
        return this.#stop()
      case 'error':
        throw classifyStreamError(anthropicErrorInfo(data), {
          credential: this.#options.credential,
          upstreamRequestId: this.#options.upstreamRequestId,
        })
      default:
        // ping, content_block_stop, and event types added later.
        return []
    }
  }

  /** The upstream closed the stream. */
  end(): void {
    if (!this.#finished) throw this.#bad('stream ended before message_stop')
  }

  #parse(event: SseEvent): Record<string, unknown> & { type?: unknown } {
    let data: unknown
    try {
      data = JSON.parse(event.data)
    } catch {
      throw this.#bad('malformed stream event')
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw this.#bad('malformed stream event')
    const record = data as Record<string, unknown>
    // The event name and the data's `type` agree on Anthropic's wire; trust the name if not.
    if (typeof record.type !== 'string' && event.event !== null) record.type = event.event
    return record
  }

  #start(message: unknown): ChatChunk[] {
    const m = (message ?? {}) as { id?: unknown; model?: unknown; usage?: AnthropicUsage }
    if (typeof m.id !== 'string') throw this.#bad('message_start without a message')
    this.#id = chatCompletionId(m.id)
    this.#model = typeof m.model === 'string' ? m.model : ''
    this.#usage = m.usage ?? {}
    this.#usageReported = hasCounts(m.usage)
    return [this.#chunk({ role: 'assistant', content: '' }, null)]
  }

  #blockStart(data: Record<string, unknown>): ChatChunk[] {
    const block = (data.content_block ?? {}) as {
      type?: unknown
      id?: unknown
      name?: unknown
      text?: unknown
    }
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '')
      return [this.#chunk({ content: block.text }, null)]
    if (block.type !== 'tool_use') return []
    const index = this.#toolIndex.size
    this.#toolIndex.set(Number(data.index), index)
    const call = {
      index,
      id: String(block.id),
      type: 'function' as const,
      function: { name: String(block.name), arguments: '' },
    }
    return [this.#chunk({ tool_calls: [call] }, null)]
  }

  #blockDelta(data: Record<string, unknown>): ChatChunk[] {
    const delta = (data.delta ?? {}) as { type?: unknown; text?: unknown; partial_json?: unknown }
    if (delta.type === 'text_delta' && typeof delta.text === 'string')
      return [this.#chunk({ content: delta.text }, null)]
    if (
      delta.type === 'input_json_delta' &&
      typeof delta.partial_json === 'string' &&
      delta.partial_json !== ''
    ) {
      const index = this.#toolIndex.get(Number(data.index))
      if (index === undefined) throw this.#bad('input_json_delta outside a tool_use block')
      return [
        this.#chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] }, null),
      ]
    }
    return []
  }

  #messageDelta(data: Record<string, unknown>): void {
    const delta = (data.delta ?? {}) as { stop_reason?: unknown }
    if (typeof delta.stop_reason === 'string') this.#stopReason = delta.stop_reason
    if (typeof data.usage === 'object' && data.usage !== null) {
      this.#usage = mergeAnthropicUsage(this.#usage, data.usage as AnthropicUsage)
      this.#usageReported ||= hasCounts(data.usage as AnthropicUsage)
    }
  }

  #stop(): ChatChunk[] {
    if (this.#id === null) throw this.#bad('message_stop before message_start')
    this.#finished = true
    const finish = this.#chunk({}, toFinishReason(this.#stopReason))
    if (!this.#usageReported) return [finish]
    const usage: ChatChunk = {
      ...this.#base(),
      choices: [],
      usage: toCompletionUsage(fromAnthropicUsage(this.#usage)),
    }
    return [finish, usage]
  }

  #base(): Pick<ChatChunk, 'id' | 'object' | 'created' | 'model'> {
    if (this.#id === null) throw this.#bad('content before message_start')
    return {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#options.createdSeconds,
      model: this.#model,
    }
  }

  #chunk(delta: ChatDelta, finishReason: ChatChunkChoice['finish_reason']): ChatChunk {
    const choice: ChatChunkChoice = { index: 0, delta, logprobs: null, finish_reason: finishReason }
    return {
      ...this.#base(),
      choices: [choice],
      ...(this.#options.clientWantsUsage ? { usage: null } : {}),
    }
  }

  #bad(what: string): UpstreamBadResponseError {
    return new UpstreamBadResponseError(what, {
      upstreamRequestId: this.#options.upstreamRequestId,
    })
  }
}

/** Run the translator over a stream of event batches: a batch of chunks per batch of events. */
export async function* translateAnthropicStream(
  batches: AsyncIterable<readonly SseEvent[]>,
  translator: AnthropicStreamTranslator,
): AsyncGenerator<ChatChunk[]> {
  yield* mapEventBatches<ChatChunk>(batches, (event, chunks) => {
    chunks.push(...translator.translate(event))
    return true
  })
  translator.end()
}
