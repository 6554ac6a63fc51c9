import {
  EMPTY_ERROR_INFO,
  classifyHttpFailure,
  classifyTransportError,
  firstHeader,
  type UpstreamErrorInfo,
} from './classify-failure.js'
import { keepRawBody } from './raw-json.js'
import type { UpstreamInfo } from './provider-adapter.js'
import { SseDecoder, type SseEvent } from './sse-decoder.js'
import type {
  UpstreamHttpRequest,
  UpstreamHttpResponse,
  UpstreamTransport,
} from './upstream-client.js'
import { resolveTimeouts, type UpstreamContext } from './upstream-context.js'
import { UpstreamBadResponseError, type UpstreamFailureDetails } from './upstream-errors.js'

/** How one upstream family words its errors and names its request-ID header. */
export interface UpstreamDialect {
  /** The OpenAI error fields of this upstream's error body (parsed JSON, or undefined). */
  errorInfo(body: unknown): UpstreamErrorInfo
  /** Response headers carrying the upstream's request ID, most specific first. */
  requestIdHeaders: readonly string[]
}

/** An upstream call whose 2xx headers have arrived. */
export interface OpenedUpstream {
  response: UpstreamHttpResponse
  info: UpstreamInfo
  ctx: UpstreamContext
}

/** Error bodies are read only this far: enough for any real error, bounded for a hostile one. */
const MAX_ERROR_BODY_BYTES = 64 * 1024
/** Largest JSON answer read (embeddings of 2048 long inputs in float JSON are big). */
const MAX_JSON_BODY_BYTES = 256 * 1024 * 1024

/**
 * Send one request and wait for a 2xx answer's headers. Everything that goes wrong on the way
 * is thrown as a classified Upstream*Error, except a ctx abort, which rethrows the abort reason
 * (a client that went away is not an upstream failure).
 */
export async function openUpstream(
  transport: UpstreamTransport,
  call: { request: UpstreamHttpRequest; ctx: UpstreamContext; dialect: UpstreamDialect },
): Promise<OpenedUpstream> {
  const { ctx, dialect } = call
  ctx.signal.throwIfAborted()
  const startedAtMs = ctx.clock.nowMs()
  let response: UpstreamHttpResponse
  try {
    response = await transport.send(call.request, {
      signal: ctx.signal,
      timeouts: resolveTimeouts(ctx.account),
    })
  } catch (err) {
    throw failure(err, ctx, {})
  }
  const info: UpstreamInfo = {
    status: response.status,
    requestId: requestIdOf(response, dialect),
    ttfbMs: Math.max(0, ctx.clock.nowMs() - startedAtMs),
  }
  if (response.status >= 200 && response.status < 300) return { response, info, ctx }

  const details = { upstreamStatus: response.status, upstreamRequestId: info.requestId }
  const bytes = await readBytes({ response, info, ctx }, MAX_ERROR_BODY_BYTES, details).catch(
    () => null,
  )
  if (ctx.signal.aborted) throw abortReason(ctx.signal)
  throw classifyHttpFailure({
    status: response.status,
    info:
      bytes === null
        ? EMPTY_ERROR_INFO
        : dialect.errorInfo(parseJsonOrUndefined(bytes.toString('utf8'))),
    headers: response.headers,
    nowMs: ctx.clock.nowMs(),
    credential: ctx.account.credential,
    upstreamRequestId: info.requestId,
  })
}

/** Read a 2xx answer as a JSON object; anything else is an UpstreamBadResponseError. */
export async function readJsonBody(opened: OpenedUpstream): Promise<Record<string, unknown>> {
  const details = { upstreamStatus: opened.info.status, upstreamRequestId: opened.info.requestId }
  const text = (await readBytes(opened, MAX_JSON_BODY_BYTES, details)).toString('utf8')
  const parsed = parseJsonOrUndefined(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UpstreamBadResponseError('malformed JSON', details)
  keepRawBody(parsed, text)
  return parsed as Record<string, unknown>
}

/**
 * The SSE events of a 2xx answer, a batch per body read that completed any (never empty), in
 * one loop over the body: read errors are classified; leaving the loop early (client abort,
 * consumer stopped, error) destroys the connection.
 */
export async function* readSseBatches(opened: OpenedUpstream): AsyncGenerator<SseEvent[]> {
  const details = { upstreamStatus: opened.info.status, upstreamRequestId: opened.info.requestId }
  const decoder = new SseDecoder()
  try {
    for await (const bytes of opened.response.body) {
      const events = decoder.push(bytes)
      if (events.length > 0) yield events
    }
    const last = decoder.end()
    if (last.length > 0) yield last
  } catch (err) {
    throw failure(err, opened.ctx, details)
  } finally {
    opened.response.destroy()
  }
}

/** The whole body, up to `limit` bytes, in one loop over it; read errors are classified. */
async function readBytes(
  opened: OpenedUpstream,
  limit: number,
  details: UpstreamFailureDetails,
): Promise<Buffer> {
  const parts: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of opened.response.body) {
      size += chunk.byteLength
      if (size > limit) throw new UpstreamBadResponseError('body too large', details)
      parts.push(chunk)
    }
  } catch (err) {
    throw failure(err, opened.ctx, details)
  } finally {
    opened.response.destroy()
  }
  // undici hands out Buffers: a body read in one piece needs no copy.
  const [only] = parts
  return parts.length === 1 && Buffer.isBuffer(only) ? only : Buffer.concat(parts)
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function requestIdOf(response: UpstreamHttpResponse, dialect: UpstreamDialect): string | null {
  for (const name of dialect.requestIdHeaders) {
    const value = firstHeader(response.headers, name)
    if (value !== undefined && value !== '') return value.slice(0, 200)
  }
  return null
}

/** A failure while talking to the upstream: the caller's abort, or a classified error. */
function failure(err: unknown, ctx: UpstreamContext, details: UpstreamFailureDetails): unknown {
  if (ctx.signal.aborted) return abortReason(ctx.signal)
  return classifyTransportError(err, details)
}

/** The abort reason as an Error (AbortSignal.reason may be any value). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error
    ? reason
    : new DOMException('The operation was aborted.', 'AbortError')
}
