import type {
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  Completion,
  CompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
  ResponseObject,
  ResponseStreamEvent,
  ResponsesRequest,
} from './openai-types.js'
import type { TokenUsage, UsageSource } from './token-usage.js'
import type { ProviderKind, UpstreamContext } from './upstream-context.js'
import type { UpstreamError } from './upstream-errors.js'

/**
 * The port every upstream implements (STYLE §3.9.2). Requests and answers are OpenAI-shaped
 * whatever the upstream speaks; streams yield already-parsed chunks, and SSE framing for the
 * client is written once, in the HTTP layer.
 *
 * Every method throws classified `Upstream*Error`s (upstream-errors.ts) for provider failures,
 * `InvalidRequestError` (400, with `param`) for a parameter the upstream cannot honour, and the
 * abort reason when `ctx.signal` fires. `request.model` must already be the upstream model.
 */
export interface ProviderAdapter {
  readonly kind: ProviderKind
  /** `POST /chat/completions` without streaming. */
  chat(request: ChatRequest, ctx: UpstreamContext): Promise<ChatResult>
  /**
   * `POST /chat/completions` streaming. Resolves once the upstream accepted the call (2xx
   * headers), so a failure before that is still a real HTTP status for the client.
   */
  chatStream(request: ChatRequest, ctx: UpstreamContext): Promise<ChatStream>
  /** `POST /completions` (legacy) without streaming. */
  completions(request: CompletionRequest, ctx: UpstreamContext): Promise<CompletionResult>
  /** `POST /completions` (legacy) streaming. */
  completionsStream(request: CompletionRequest, ctx: UpstreamContext): Promise<CompletionStream>
  /** `POST /embeddings`; `encoding_format` is honoured whatever the upstream returns. */
  embeddings(request: EmbeddingsRequest, ctx: UpstreamContext): Promise<EmbeddingsResult>
  /** `POST /responses` without streaming, passed through to upstreams that speak it. */
  responses(request: ResponsesRequest, ctx: UpstreamContext): Promise<ResponsesResult>
  /** `POST /responses` streaming, passed through event by event. */
  responsesStream(request: ResponsesRequest, ctx: UpstreamContext): Promise<ResponsesStream>
  /** The upstream's models in OpenAI's `Model` shape (for checking a provider account). */
  listModels(ctx: UpstreamContext): Promise<ModelsResult>
}

/** What the upstream's answer said about itself. */
export interface UpstreamInfo {
  /** The upstream's HTTP status (the mock reports 200). */
  status: number
  /** The upstream's own request ID, for support; null when it sent none. */
  requestId: string | null
  /** From sending the request to the upstream's response headers, by `ctx.clock`. */
  ttfbMs: number
}

/** A non-streaming answer: the OpenAI body plus what settlement needs. */
export interface UpstreamResult<Body> {
  body: Body
  usage: TokenUsage
  usageSource: UsageSource
  upstream: UpstreamInfo
}

/** Non-streaming answers per endpoint. */
export type ChatResult = UpstreamResult<ChatCompletion>
export type CompletionResult = UpstreamResult<Completion>
export type EmbeddingsResult = UpstreamResult<EmbeddingsResponse>
export type ResponsesResult = UpstreamResult<ResponseObject>

/** The upstream's models, for checking a provider account. */
export interface ModelsResult {
  data: ModelInfo[]
  upstream: UpstreamInfo
}

/**
 * `streaming` until iteration ends; then `completed` (the upstream finished), `client_aborted`
 * (ctx.signal fired or the consumer stopped early) or `upstream_failed` (a classified error).
 */
export type StreamStatus = 'streaming' | 'completed' | 'client_aborted' | 'upstream_failed'

/** Settlement facts about a stream, final once iteration has ended. */
export interface StreamOutcome {
  status: StreamStatus
  /**
   * The upstream's usage when it reported one; otherwise prompt tokens estimated from the
   * request and completion tokens counted from the text handed to the consumer.
   */
  usage: TokenUsage
  usageSource: UsageSource
  /** Items handed to the consumer (the forced usage chunk included). */
  chunksDelivered: number
  /** From the call's start to the first item handed over; null if none was. */
  firstChunkMs: number | null
  /** The classified failure when status is `upstream_failed`. */
  error: UpstreamError | null
}

/**
 * A stream of parsed items, read once. The iterator throws a classified Upstream*Error on a
 * mid-stream failure and the abort reason on ctx abort; `outcome()` says what to settle either
 * way.
 */
export interface UpstreamStream<Item> extends AsyncIterable<Item> {
  /**
   * The same items in batches, as they arrived (what one upstream read carried; never empty).
   * The relay reads these: a step per batch instead of per item. A stream is read only once,
   * one way or the other.
   */
  batches(): AsyncIterable<readonly Item[]>
  readonly upstream: UpstreamInfo
  /**
   * Whether the client itself asked for `stream_options.include_usage`. Ferry always asks the
   * upstream for usage (to meter), so when this is false the HTTP layer must drop the usage-only
   * chunk (`isUsageOnlyChunk`) before writing to the client.
   */
  readonly clientWantsUsage: boolean
  /**
   * Output tokens handed over so far, each piece of text counted once as it passes: for watching
   * a hold window while the stream runs, so cheap to ask often. It may run a token over the count
   * of the joined text where a word spans two checks; `outcome()` counts the whole text, at the
   * end, when the upstream reported no usage.
   */
  deliveredOutputTokens(): number
  outcome(): StreamOutcome
}

/** Streams per endpoint. */
export type ChatStream = UpstreamStream<ChatChunk>
export type CompletionStream = UpstreamStream<Completion>
/** Responses API events; usage rides inside the terminal event, so nothing is ever stripped. */
export type ResponsesStream = UpstreamStream<ResponseStreamEvent>

/**
 * The final `choices: []` chunk that carries only usage. Forward it only when
 * `stream.clientWantsUsage`: naive clients index `choices[0]`.
 */
export function isUsageOnlyChunk(chunk: ChatChunk | Completion): boolean {
  return chunk.choices.length === 0 && chunk.usage !== undefined && chunk.usage !== null
}
