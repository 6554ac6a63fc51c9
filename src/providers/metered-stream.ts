import { abortReason } from './call-upstream.js'
import { countTextTokens } from './count-tokens.js'
import type {
  StreamOutcome,
  StreamStatus,
  UpstreamInfo,
  UpstreamStream,
} from './provider-adapter.js'
import { ZERO_USAGE, type TokenUsage, type UsageSource } from './token-usage.js'
import type { UpstreamContext } from './upstream-context.js'
import { isUpstreamError, type UpstreamError } from './upstream-errors.js'

/** How the meter reads one kind of stream item. */
export interface StreamItemReader<Item> {
  /** The full usage the item carries, if it carries one. */
  usageOf(item: Item): TokenUsage | null
  /** Generated text in the item (content, refusal, tool arguments), for estimates. */
  textOf(item: Item): string
  /**
   * The usage-only item to add at the end when the upstream gave no usage but the client asked
   * for it; `last` is the last item seen. Omit for streams that carry usage elsewhere.
   */
  usageItem?(last: Item, usage: TokenUsage): Item
}

/** What `meterStream` wraps and how it reads it. */
export interface MeteredStreamOptions<Item> {
  /**
   * The adapter's translated items, in batches (what one upstream read carried; never empty);
   * throws classified errors.
   */
  batches: AsyncIterable<readonly Item[]>
  upstream: UpstreamInfo
  clientWantsUsage: boolean
  ctx: UpstreamContext
  /** `ctx.clock` time when the upstream call started, for `firstChunkMs`. */
  startedAtMs: number
  reader: StreamItemReader<Item>
  /** Prompt tokens by estimate; only called when the upstream reported none. */
  estimatePromptTokens: () => number
  /** Counts the upstream reported before its final usage (Anthropic's `message_start`). */
  partialUsage?: () => Partial<TokenUsage> | null
  /** Tokens in a text. @default countTextTokens (o200k) */
  countTokens?: (text: string) => number
}

/**
 * Wraps an adapter's item stream with what settlement needs, the same way for every adapter:
 * the upstream's usage when reported, otherwise an estimate from the request and the text handed
 * to the consumer; how the stream ended; time to the first item.
 */
export function meterStream<Item>(options: MeteredStreamOptions<Item>): UpstreamStream<Item> {
  return new MeteredStream(options)
}

class MeteredStream<Item> implements UpstreamStream<Item> {
  readonly upstream: UpstreamInfo
  readonly clientWantsUsage: boolean
  readonly #options: MeteredStreamOptions<Item>
  #started = false
  #status: StreamStatus = 'streaming'
  #error: UpstreamError | null = null
  #reported: TokenUsage | null = null
  #estimatedUsage: TokenUsage | null = null
  readonly #text: string[] = []
  /** Pieces of `#text` already in `#countedTokens` (see deliveredOutputTokens). */
  #countedPieces = 0
  #countedTokens = 0
  readonly #countTokens: (text: string) => number
  #delivered = 0
  #firstChunkMs: number | null = null
  #final: StreamOutcome | null = null

  constructor(options: MeteredStreamOptions<Item>) {
    this.#options = options
    this.#countTokens = options.countTokens ?? countTextTokens
    this.upstream = options.upstream
    this.clientWantsUsage = options.clientWantsUsage
  }

  /** One item at a time, each counted as delivered when it is handed over. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    for await (const [item] of this.#read('items')) yield item as Item
  }

  batches(): AsyncGenerator<readonly Item[]> {
    return this.#read('batches')
  }

  async *#read(unit: 'items' | 'batches'): AsyncGenerator<readonly Item[]> {
    if (this.#started) throw new Error('An upstream stream can be read only once.')
    this.#started = true
    const { batches, reader, ctx } = this.#options
    let last: Item | undefined
    try {
      read: for await (const batch of batches) {
        // The client left while the upstream read was in flight: hand nothing more over.
        if (ctx.signal.aborted) break
        last = batch[batch.length - 1]
        if (unit === 'batches') {
          for (const item of batch) this.#hand(item)
          yield batch
          continue
        }
        for (const item of batch) {
          // One network read can hold many events: stop handing them over once aborted. A
          // consumer's next() resumes this loop at once; one microtask first lets an abort fired
          // in the same turn stop it, as when each item was its own read.
          await Promise.resolve()
          if (ctx.signal.aborted) break read
          yield [this.#hand(item)]
        }
      }
      ctx.signal.throwIfAborted()
      if (
        this.#reported === null &&
        this.clientWantsUsage &&
        last !== undefined &&
        reader.usageItem
      ) {
        // The client asked for usage and the upstream gave none: say what we estimate.
        this.#estimatedUsage = this.#estimate()
        yield [this.#hand(reader.usageItem(last, this.#estimatedUsage))]
      }
      this.#status = 'completed'
    } catch (err) {
      if (ctx.signal.aborted) {
        this.#status = 'client_aborted'
        throw abortReason(ctx.signal)
      }
      this.#status = 'upstream_failed'
      if (isUpstreamError(err)) this.#error = err
      throw err
    } finally {
      // The consumer returned early (break, client gone): that is an abort too.
      if (this.#status === 'streaming') this.#status = 'client_aborted'
      this.#final = this.#snapshot()
    }
  }

  outcome(): StreamOutcome {
    return this.#final ?? this.#snapshot()
  }

  deliveredOutputTokens(): number {
    // Only the text since the last look: counting the whole text at every look grew with the
    // square of a long stream's length (a stream without max_tokens is looked at every few items).
    if (this.#countedPieces < this.#text.length) {
      this.#countedTokens += this.#countTokens(this.#text.slice(this.#countedPieces).join(''))
      this.#countedPieces = this.#text.length
    }
    return this.#countedTokens
  }

  #hand(item: Item): Item {
    const { reader, ctx, startedAtMs } = this.#options
    const usage = reader.usageOf(item)
    if (usage !== null && this.#estimatedUsage === null) this.#reported = usage
    const text = reader.textOf(item)
    if (text.length > 0) this.#text.push(text)
    if (this.#firstChunkMs === null)
      this.#firstChunkMs = Math.max(0, ctx.clock.nowMs() - startedAtMs)
    this.#delivered++
    return item
  }

  #snapshot(): StreamOutcome {
    const reported = this.#reported
    const usage = reported ?? this.#estimatedUsage ?? this.#estimate()
    const usageSource: UsageSource = reported === null ? 'estimated' : 'reported'
    return {
      status: this.#status,
      usage,
      usageSource,
      chunksDelivered: this.#delivered,
      firstChunkMs: this.#firstChunkMs,
      error: this.#error,
    }
  }

  #estimate(): TokenUsage {
    const partial = this.#options.partialUsage?.() ?? null
    const promptTokens = partial?.promptTokens ?? this.#options.estimatePromptTokens()
    return {
      ...ZERO_USAGE,
      ...partial,
      promptTokens,
      completionTokens: this.#countTokens(this.#text.join('')),
      reasoningTokens: 0,
    }
  }
}
