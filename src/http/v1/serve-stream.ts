import type { FastifyReply, FastifyRequest } from 'fastify'
import { InsufficientQuotaError } from '../../billing/index.js'
import type {
  MeteredEnd,
  MeteredRequest,
  PreparedCall,
  AttemptsResult,
} from '../../gateway/index.js'
import { servedModelOf, usageLogFields } from '../../gateway/index.js'
import type { UpstreamStream } from '../../providers/index.js'
import type { PlannedTarget, RoutingOutcome } from '../../routing/index.js'
import type { UsageDraft } from '../../usage/index.js'
import { addAccessLogFields } from '../middleware/access-log.js'
import { toOpenAIError } from '../openai-error.js'
import { CLIENT_CLOSED, failedEnd, outcomeOf } from './request-ends.js'
import type { UpstreamCallDeps, UpstreamEndpoint } from './serve-upstream-call.js'
import { relaySse, type RelayEnd } from './sse.js'
import type { takeUsageDraft } from './usage-trace.js'

export interface PrimedUpstream<TItem> {
  stream: UpstreamStream<TItem>
  /** Its batches, the first one already read (see primeStream). */
  batches: AsyncIterable<readonly TItem[]>
}

/**
 * Serve a streamed call: try the plan's targets until one yields its first item, then relay the
 * stream (no fallback after the first byte), extend a windowed hold as it runs, and settle and
 * record its usage before the final frame.
 */
export async function serveStream<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  run: {
    request: FastifyRequest
    reply: FastifyReply
    call: PreparedCall<TBody>
    abort: AbortController
    settle: (tokens: number) => void
    settleMoney: (end: MeteredEnd, usage: UsageDraft | null) => Promise<void>
    usageAt: (end: Parameters<typeof takeUsageDraft>[1]['end']) => UsageDraft | null
    answered: (err: unknown) => { httpStatus: number; errorCode: string | null }
    /** Queues the content for capture where the organization opted in (a no-op otherwise). */
    capture: ((response: unknown) => void) | null
    metered: MeteredRequest | null
    servedHeaders: (target: PlannedTarget) => Record<string, string>
    attempt: () => Promise<AttemptsResult<PrimedUpstream<TItem>>>
    record: (result: AttemptsResult<PrimedUpstream<TItem>>) => RoutingOutcome
    failure: (result: { error: unknown }) => Error
  },
): Promise<undefined> {
  const { request, reply, abort } = run
  let result: AttemptsResult<PrimedUpstream<TItem>>
  // The client may leave before the upstream even answers.
  const onEarlyClose = () => abort.abort(new Error(CLIENT_CLOSED))
  reply.raw.once('close', onEarlyClose)
  try {
    result = await run.attempt()
  } finally {
    reply.raw.removeListener('close', onEarlyClose)
  }
  run.record(result)
  if (!result.ok) {
    run.settle(0)
    const err = run.failure(result)
    const end = failedEnd(result.attempts, { targets: run.call.plan.targets, abort })
    await run.settleMoney(
      end,
      run.usageAt({ ...run.answered(err), settlementOutcome: outcomeOf(end) }),
    )
    run.capture?.(null)
    throw err
  }
  const { stream, batches } = result.value
  const target = result.target
  const served = (reported: unknown) => servedModelOf(reported, target.model)
  // The frames the client received, kept only where the organization captures content.
  const frames = run.capture ? createFrameCapture() : null
  let settled: Promise<void> | null = null
  const settleStream = (end: RelayEnd | 'failed_before_headers', failedWith?: unknown) =>
    (settled ??= (async () => {
      const outcome = stream.outcome()
      const streamOutcome = end === 'client_aborted' ? 'client_aborted' : outcome.status
      run.settle(outcome.usage.promptTokens + outcome.usage.completionTokens)
      addAccessLogFields(request, {
        ...usageLogFields({
          usage: outcome.usage,
          usageSource: outcome.usageSource,
          streamOutcome,
        }),
        chunksDelivered: outcome.chunksDelivered,
      })
      const money = streamEnd(end, { usage: outcome.usage, target, outcome })
      // Before the headers the error handler answers with the failure's status; after them
      // the client got a 200 whose stream says how it ended.
      const answer =
        end === 'failed_before_headers'
          ? run.answered(failedWith ?? outcome.error)
          : {
              httpStatus: 200,
              errorCode:
                end === 'failed' && outcome.error !== null
                  ? run.answered(outcome.error).errorCode
                  : null,
            }
      await run.settleMoney(
        money,
        run.usageAt({
          ...answer,
          usage: money.outcome === 'upstream_failed_no_output' ? null : outcome.usage,
          usageSource: outcome.usageSource,
          settlementOutcome: outcomeOf(money),
          upstream: stream.upstream,
          stream: { outcome: streamOutcome, chunksDelivered: outcome.chunksDelivered },
        }),
      )
      if (frames !== null) run.capture?.(frames.text())
    })())
  let failedWith: unknown
  try {
    // From here on nothing falls back: a failure after the first byte ends the stream with one
    // error event (relaySse), never a splice of two models' outputs.
    await relaySse({
      reply,
      batches: run.metered ? extendingHold(batches, { stream, metered: run.metered }) : batches,
      abort,
      encode: (item) => {
        const frame = spec.frame(item, stream, served)
        if (frame !== null) frames?.add(frame)
        return frame
      },
      headersAtStart: () => run.servedHeaders(target),
      encodeError: (error) => spec.frameError(error),
      trailer: spec.trailer,
      onEnd: settleStream,
      toError: (err) => {
        const mapped = toOpenAIError(err, { bodyLimitBytes: deps.bodyLimitBytes })
        if (mapped.unexpected !== undefined)
          request.log.error({ err: mapped.unexpected }, 'stream failed unexpectedly')
        return mapped.body.error
      },
    })
  } catch (err) {
    failedWith = err
    throw err
  } finally {
    // Settled already unless the relay failed before its first frame (the error handler
    // answers that one with a real status).
    await settleStream('failed_before_headers', failedWith).catch((err: unknown) =>
      request.log.error({ err }, 'settlement failed'),
    )
  }
  return undefined
}

/** What a captured stream keeps of its frames: the capture writer cuts at 256 KiB anyway. */
const CAPTURED_STREAM_MAX_CHARS = 256 * 1024

/** The SSE frames of a captured stream, up to a bound (a long stream never grows memory). */
function createFrameCapture() {
  const parts: string[] = []
  let size = 0
  return {
    add(frame: string) {
      if (size >= CAPTURED_STREAM_MAX_CHARS) return
      parts.push(frame)
      size += frame.length
    },
    text: () => parts.join(''),
  }
}

/** How many items pass between two looks at the output a windowed hold still covers. */
const WINDOW_CHECK_EVERY = 16

/**
 * Relay `batches`, extending a windowed hold before the output outgrows it (a stream without
 * `max_tokens`). When the balance cannot cover another window the stream stops with a 429
 * `insufficient_quota` error event; what was delivered is charged at settlement. A hold that
 * covers everything the request may produce needs no watching: its batches pass as they are.
 * An iterator rather than a generator: one promise less per batch.
 */
function extendingHold<TItem>(
  batches: AsyncIterable<readonly TItem[]>,
  money: { stream: UpstreamStream<TItem>; metered: MeteredRequest },
): AsyncIterable<readonly TItem[]> {
  if (money.metered.coveredOutputTokens() === null) return batches
  const inner = batches[Symbol.asyncIterator]()
  let seen = 0
  let lookedAt = 0
  const pull = () =>
    inner.next().then((next) => {
      if (next.done !== true) seen += next.value.length
      return next
    })
  const watched: AsyncIterator<readonly TItem[]> = {
    next: () => {
      if (seen - lookedAt < WINDOW_CHECK_EVERY) return pull()
      lookedAt = seen
      const covered = money.metered.coveredOutputTokens()
      // Only every few items: counting the text that passed since the last look costs CPU.
      const delivered = money.stream.deliveredOutputTokens()
      if (covered === null || delivered * 4 < covered * 3) return pull()
      return money.metered.extendWindow().then((extended) => {
        if (!extended) throw new InsufficientQuotaError()
        return pull()
      })
    },
    return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
  }
  return { [Symbol.asyncIterator]: () => watched }
}

/** How a relayed stream settles (settlement rules in src/billing/settlement-rules.ts). */
function streamEnd(
  end: RelayEnd | 'failed_before_headers',
  stream: { usage: MeteredUsage; target: PlannedTarget; outcome: { chunksDelivered: number } },
): MeteredEnd {
  const { usage, target } = stream
  switch (end) {
    case 'completed':
      return { outcome: 'completed', usage, target }
    case 'client_aborted':
      return { outcome: 'client_aborted', usage, target }
    case 'failed':
      return { outcome: 'upstream_failed_partial', usage, target }
    case 'failed_before_headers':
      return stream.outcome.chunksDelivered === 0
        ? { outcome: 'upstream_failed_no_output' }
        : { outcome: 'upstream_failed_partial', usage, target }
  }
}

type MeteredUsage = Extract<MeteredEnd, { usage: unknown }>['usage']
