import { classifyStreamError } from '../classify-failure.js'
import type { ChatChunk, Completion, ResponseStreamEvent } from '../openai-types.js'
import { keepRawJson } from '../raw-json.js'
import { mapEventBatches, type SseEvent } from '../sse-decoder.js'
import { UpstreamBadResponseError } from '../upstream-errors.js'
import { openAIErrorInfo } from './openai-dialect.js'

/** Facts the stream parser needs to classify what it reads. */
export interface StreamParseContext {
  credential: string | null
  upstreamRequestId: string | null
}

/**
 * OpenAI's data-only SSE chat or completions stream → parsed chunks, a batch per batch of events
 * (see `readSseBatches`; a batch left empty is skipped). An `{"error":…}` event becomes a
 * classified error; invalid JSON an UpstreamBadResponseError. A stream that ends without
 * `[DONE]` is accepted only if every choice it opened got a finish_reason: otherwise it was cut
 * off and must not look like success.
 */
export async function* parseChoiceStream<Chunk extends ChatChunk | Completion>(
  batches: AsyncIterable<readonly SseEvent[]>,
  context: StreamParseContext,
): AsyncGenerator<Chunk[]> {
  const open = new Set<number>()
  let sawDone = false
  let sawAny = false
  yield* mapEventBatches<Chunk>(batches, (event, chunks) => {
    // Events after [DONE] are ignored, but the body is still read to its end so the
    // connection goes back to the pool instead of being destroyed.
    if (sawDone) return false
    if (event.data === '[DONE]') {
      sawDone = true
      return false
    }
    const chunk = parseChoiceChunk<Chunk>(event, context)
    if (chunk === null) return true
    for (const choice of chunk.choices) {
      if (typeof choice !== 'object' || choice === null) throw badEvent(context)
      if (choice.finish_reason === null || choice.finish_reason === undefined)
        open.add(choice.index)
      else open.delete(choice.index)
    }
    sawAny = true
    chunks.push(chunk)
    return true
  })
  if (!sawDone && (open.size > 0 || !sawAny)) {
    throw new UpstreamBadResponseError('stream ended before it was complete', {
      upstreamRequestId: context.upstreamRequestId,
    })
  }
}

/** One chat or completions chunk, or null for one that carries nothing OpenAI defines. */
function parseChoiceChunk<Chunk extends ChatChunk | Completion>(
  event: SseEvent,
  context: StreamParseContext,
): Chunk | null {
  const parsed = parseEventJson(event, context)
  if (!Array.isArray(parsed.choices)) {
    // Some servers omit `choices` on the usage chunk.
    if (parsed.usage === undefined) throw badEvent(context)
    parsed.choices = []
  } else {
    keepRawJson(parsed, event.data)
  }
  const chunk = parsed as Chunk
  // Azure's content-filter annotations arrive as chunks with no choices and no usage: they
  // carry nothing OpenAI defines, and clients that index `choices[0]` would trip on them.
  if (chunk.choices.length === 0 && (chunk.usage === undefined || chunk.usage === null)) return null
  return chunk
}

const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/**
 * The Responses API's named-event stream → parsed events, passed through as they are, a batch
 * per batch of events. An `error` event becomes a classified error; the stream must reach a
 * terminal event.
 */
export async function* parseResponseEvents(
  batches: AsyncIterable<readonly SseEvent[]>,
  context: StreamParseContext,
): AsyncGenerator<ResponseStreamEvent[]> {
  let terminal = false
  yield* mapEventBatches<ResponseStreamEvent>(batches, (event, parsedEvents) => {
    if (terminal || event.data === '[DONE]') return true
    const parsed = parseEventJson(event, context)
    if (typeof parsed.type !== 'string') throw badEvent(context)
    if (TERMINAL_EVENTS.has(parsed.type)) terminal = true
    parsedEvents.push(parsed as ResponseStreamEvent)
    return true
  })
  if (!terminal) {
    throw new UpstreamBadResponseError('stream ended before it was complete', {
      upstreamRequestId: context.upstreamRequestId,
    })
  }
}

function parseEventJson(event: SseEvent, context: StreamParseContext): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(event.data)
  } catch {
    throw badEvent(context)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badEvent(context)
  const record = parsed as Record<string, unknown>
  // OpenAI: `data: {"error":{…}}`; Responses API: `event: error` with the fields at the top.
  if (
    (typeof record.error === 'object' && record.error !== null) ||
    event.event === 'error' ||
    record.type === 'error'
  ) {
    throw classifyStreamError(openAIErrorInfo(record), context)
  }
  return record
}

function badEvent(context: StreamParseContext): UpstreamBadResponseError {
  return new UpstreamBadResponseError('malformed stream event', {
    upstreamRequestId: context.upstreamRequestId,
  })
}
