import type { ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { OpenAIErrorBody } from '../openai-error.js'

/** Data-only framing (chat, completions): `data: <json>`. */
export function dataFrame(json: string): string {
  return `data: ${json}\n\n`
}

/** Named-event framing (Responses API): `event: <type>` then `data: <json>`. */
export function eventFrame(type: string, json: string): string {
  return `event: ${type}\ndata: ${json}\n\n`
}

export const DONE_FRAME = 'data: [DONE]\n\n'

/** How a relayed stream ended, as far as the client connection is concerned. */
export type RelayEnd = 'completed' | 'client_aborted' | 'failed'

export interface SseRelay<T> {
  reply: FastifyReply
  /** The items, in batches as they arrived upstream (one read): a batch leaves in one write. */
  batches: AsyncIterable<readonly T[]>
  /** The frame for one item, or null to leave it out (e.g. a usage chunk nobody asked for). */
  encode(item: T): string | null
  /** Headers decided once the first item is in hand (processing time, served model). */
  headersAtStart(): Record<string, string>
  /** The final frame(s) for a mid-stream failure, in this stream's framing. */
  encodeError(error: OpenAIErrorBody['error']): string
  /** Written after the last item: `data: [DONE]` for chat and completions, nothing for Responses. */
  trailer: string
  /** Fired when the client goes away before the end, to cancel the upstream. */
  abort: AbortController
  /**
   * Called once the outcome is known, before the last frame: the response's last byte waits for
   * it (settlement must be durable first). If it fails, a completed stream ends with an error
   * event instead of its trailer.
   */
  onEnd(end: RelayEnd): void | Promise<void>
  /** Map a failure to OpenAI's error object (and log it when unexpected). */
  toError(err: unknown): OpenAIErrorBody['error']
}

/**
 * The one SSE writer. Pulls the first frame before anything is sent, so a failure before it
 * still leaves the route's error handler to answer with a real HTTP status (which clients retry).
 * Then writes the headers, a batch's frames at a time with backpressure, and the trailer, and
 * closes.
 * A failure after the headers becomes one final error frame (never a silent end). When the
 * client disconnects, `abort` fires so the upstream call is cancelled at once.
 */
export async function relaySse<T>(relay: SseRelay<T>): Promise<RelayEnd> {
  const res = relay.reply.raw
  const iterator = relay.batches[Symbol.asyncIterator]()
  const encode = (item: T) => relay.encode(item)
  const onClose = () => {
    if (!res.writableFinished) relay.abort.abort(new Error('client closed the connection'))
  }
  res.once('close', onClose)

  let first: string | null = null
  let done = false
  try {
    // Before the headers: errors propagate to the error handler as a real status.
    while (first === null) {
      const next = await iterator.next()
      if (next.done === true) {
        done = true
        break
      }
      const frames = framesOf(next.value, encode)
      if (frames !== '') first = frames
    }
  } catch (err) {
    if (relay.abort.signal.aborted) {
      relay.reply.hijack()
      return await finish({ ...relay, onClose }, 'client_aborted')
    }
    res.removeListener('close', onClose)
    throw err
  }

  relay.reply.hijack()
  res.writeHead(200, {
    ...(relay.reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...relay.headersAtStart(),
  })
  if (first !== null) await write(res, first)

  try {
    while (!done) {
      const next = await iterator.next()
      if (next.done === true) break
      const frames = framesOf(next.value, encode)
      if (frames !== '' && !(await write(res, frames))) break
    }
  } catch (err) {
    if (relay.abort.signal.aborted || res.destroyed)
      return finish({ ...relay, onClose }, 'client_aborted')
    return finish({ ...relay, onClose }, 'failed', relay.encodeError(relay.toError(err)))
  }
  if (relay.abort.signal.aborted || res.destroyed) {
    await iterator.return?.()
    return finish({ ...relay, onClose }, 'client_aborted')
  }
  return finish({ ...relay, onClose }, 'completed', relay.trailer)
}

/** A batch's frames, concatenated ('' when every item was left out). */
function framesOf<T>(batch: readonly T[], encode: (item: T) => string | null): string {
  let frames = ''
  for (const item of batch) {
    const frame = encode(item)
    if (frame !== null) frames += frame
  }
  return frames
}

async function finish<T>(
  relay: SseRelay<T> & { onClose: () => void },
  end: RelayEnd,
  lastFrame = '',
): Promise<RelayEnd> {
  const { onClose } = relay
  const res = relay.reply.raw
  res.removeListener('close', onClose)
  let frame = lastFrame
  try {
    await relay.onEnd(end)
  } catch (err) {
    // The outcome could not be recorded: never let the stream look complete.
    if (end === 'completed') frame = relay.encodeError(relay.toError(err))
  }
  if (frame !== '') await write(res, frame)
  if (!res.writableEnded) res.end()
  if (end === 'client_aborted') relay.reply.logClientAbort()
  return end
}

const corked = new WeakSet<ServerResponse>()

/**
 * Write frames; wait for `drain` when the socket buffer is full. False once the client left.
 * Writes made in the same turn of the event loop leave in one socket write: the response is
 * corked until the loop's check phase.
 */
async function write(res: ServerResponse, frame: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false
  if (!corked.has(res)) {
    corked.add(res)
    res.cork()
    setImmediate(() => {
      corked.delete(res)
      res.uncork()
    })
  }
  if (res.write(frame)) return true
  await new Promise<void>((resolve) => {
    const settle = () => {
      res.removeListener('drain', settle)
      res.removeListener('close', settle)
      resolve()
    }
    res.once('drain', settle)
    res.once('close', settle)
  })
  return !res.destroyed
}
