import { ADDRESS_FORBIDDEN_CODE } from './upstream-address-policy.js'
import {
  UpstreamBadResponseError,
  UpstreamClientError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  type UpstreamError,
  type UpstreamFailureDetails,
} from './upstream-errors.js'

/**
 * An upstream's error body reduced to OpenAI's four fields. Each adapter extracts it from its
 * own envelope (OpenAI `{error:{…}}`, Anthropic `{type:'error', error:{type, message}}`).
 */
export interface UpstreamErrorInfo {
  message: string | null
  type: string | null
  code: string | null
  param: string | null
}

/** What an unreadable error body yields: the status alone decides. */
export const EMPTY_ERROR_INFO: UpstreamErrorInfo = Object.freeze({
  message: null,
  type: null,
  code: null,
  param: null,
})

/** Response headers as Node and undici give them (lower-case names). */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>

/** What a non-2xx upstream answer is classified from. */
export interface HttpFailure {
  status: number
  info: UpstreamErrorInfo
  headers: HeaderBag
  nowMs: number
  /** Scrubbed from any message that is passed through. */
  credential: string | null
  upstreamRequestId: string | null
}

/** Classify a non-2xx upstream answer into one Upstream*Error. */
export function classifyHttpFailure(failure: HttpFailure): UpstreamError {
  const { status, info } = failure
  const details: UpstreamFailureDetails = {
    upstreamStatus: status,
    upstreamRequestId: failure.upstreamRequestId,
    upstreamCode: info.code ?? info.type,
  }
  if (status === 408) return new UpstreamTimeoutError('headers', details)
  if (status === 429) {
    // OpenAI answers an exhausted account with 429 too; retrying the same account cannot help.
    if (info.code === 'insufficient_quota' || info.type === 'insufficient_quota')
      return new UpstreamUnavailableError('quota_exhausted', details)
    return new UpstreamRateLimitedError(retryAfterMs(failure.headers, failure.nowMs), details)
  }
  // The upstream rejected Ferry's credential or account: the client cannot fix that.
  if (status === 401 || status === 403)
    return new UpstreamUnavailableError('authentication_failed', details)
  if (status === 402) return new UpstreamUnavailableError('quota_exhausted', details)
  // A URL the upstream does not serve (a wrong base URL or API version) is Ferry's
  // configuration, not the client's request: OpenAI says `unknown_url`, others send a bare 404.
  const bare = info.message === null && info.type === null
  if ((status === 404 || status === 405) && (bare || info.code === 'unknown_url'))
    return new UpstreamUnavailableError('endpoint_not_found', details)
  if (status >= 400 && status < 500) {
    return new UpstreamClientError(
      {
        status,
        message: cleanUpstreamMessage(info.message, failure.credential) ?? DEFAULT_CLIENT_MESSAGE,
        type: info.type ?? 'invalid_request_error',
        code: info.code,
        param: info.param,
      },
      details,
    )
  }
  if (status === 503 || status === 529) return new UpstreamUnavailableError('overloaded', details)
  if (status === 504) return new UpstreamTimeoutError('headers', details)
  if (status >= 500) return new UpstreamUnavailableError('server_error', details)
  return new UpstreamBadResponseError(`unexpected status ${status}`, details)
}

const DEFAULT_CLIENT_MESSAGE = 'The upstream provider rejected the request.'

/**
 * Classify an error event that arrives inside a 200 stream (OpenAI `data: {"error":…}`,
 * Anthropic `event: error`). Types are matched loosely: providers spell them differently.
 */
export function classifyStreamError(
  info: UpstreamErrorInfo,
  context: { credential: string | null; upstreamRequestId: string | null },
): UpstreamError {
  const details: UpstreamFailureDetails = {
    upstreamRequestId: context.upstreamRequestId,
    upstreamCode: info.code ?? info.type,
  }
  const label = `${info.type ?? ''} ${info.code ?? ''}`
  if (/rate_limit/.test(label)) return new UpstreamRateLimitedError(null, details)
  if (/insufficient_quota|billing/.test(label))
    return new UpstreamUnavailableError('quota_exhausted', details)
  if (/overloaded/.test(label)) return new UpstreamUnavailableError('overloaded', details)
  if (/timeout/.test(label)) return new UpstreamTimeoutError('body', details)
  if (/invalid_request|not_found|context_length/.test(label)) {
    return new UpstreamClientError(
      {
        status: 400,
        message: cleanUpstreamMessage(info.message, context.credential) ?? DEFAULT_CLIENT_MESSAGE,
        type: info.type ?? 'invalid_request_error',
        code: info.code,
        param: info.param,
      },
      details,
    )
  }
  return new UpstreamUnavailableError('server_error', details)
}

/** undici and Node error codes, mapped once. */
const TRANSPORT_CODES: Record<string, (details: UpstreamFailureDetails) => UpstreamError> = {
  [ADDRESS_FORBIDDEN_CODE]: (d) => new UpstreamUnavailableError('address_forbidden', d),
  UND_ERR_CONNECT_TIMEOUT: (d) => new UpstreamTimeoutError('connect', d),
  ETIMEDOUT: (d) => new UpstreamTimeoutError('connect', d),
  UND_ERR_HEADERS_TIMEOUT: (d) => new UpstreamTimeoutError('headers', d),
  UND_ERR_BODY_TIMEOUT: (d) => new UpstreamTimeoutError('body', d),
  ECONNREFUSED: (d) => new UpstreamUnavailableError('connection_refused', d),
  ECONNRESET: (d) => new UpstreamUnavailableError('connection_reset', d),
  EPIPE: (d) => new UpstreamUnavailableError('connection_reset', d),
  UND_ERR_SOCKET: (d) => new UpstreamUnavailableError('connection_reset', d),
  ENOTFOUND: (d) => new UpstreamUnavailableError('connection_failed', d),
  EAI_AGAIN: (d) => new UpstreamUnavailableError('connection_failed', d),
  EHOSTUNREACH: (d) => new UpstreamUnavailableError('connection_failed', d),
  ENETUNREACH: (d) => new UpstreamUnavailableError('connection_failed', d),
  UND_ERR_CLOSED: (d) => new UpstreamUnavailableError('connection_failed', d),
  UND_ERR_DESTROYED: (d) => new UpstreamUnavailableError('connection_failed', d),
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: (d) => new UpstreamBadResponseError('body length', d),
  UND_ERR_HEADERS_OVERFLOW: (d) => new UpstreamBadResponseError('headers too large', d),
  UND_ERR_RES_EXCEEDED_MAX_SIZE: (d) => new UpstreamBadResponseError('body too large', d),
}

/**
 * Classify a failure of the connection itself (no usable HTTP answer), from undici's and Node's
 * error codes. Already-classified errors pass through unchanged.
 */
export function classifyTransportError(
  err: unknown,
  details: UpstreamFailureDetails = {},
): UpstreamError {
  if (isClassified(err)) return err
  const withCause = { ...details, cause: err }
  const code = errorCode(err)
  if (code !== undefined) {
    const make = TRANSPORT_CODES[code]
    if (make) return make(withCause)
    // llhttp parse errors: the bytes were not HTTP.
    if (code.startsWith('HPE_')) return new UpstreamBadResponseError('not HTTP', withCause)
  }
  return new UpstreamUnavailableError('connection_failed', withCause)
}

function isClassified(err: unknown): err is UpstreamError {
  return (
    err instanceof UpstreamTimeoutError ||
    err instanceof UpstreamRateLimitedError ||
    err instanceof UpstreamUnavailableError ||
    err instanceof UpstreamBadResponseError ||
    err instanceof UpstreamClientError
  )
}

/** The first error code found on the error, its cause, or an AggregateError's members. */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown }
  if (typeof code === 'string' && code !== 'UND_ERR') return code
  if (Array.isArray(errors)) {
    for (const member of errors) {
      const found = errorCode(member, depth + 1)
      if (found !== undefined) return found
    }
  }
  return errorCode(cause, depth + 1)
}

/**
 * The upstream's retry delay in ms, from `retry-after-ms`, then `retry-after` (seconds or an
 * HTTP date). Null when absent or unreadable.
 */
export function retryAfterMs(headers: HeaderBag, nowMs: number): number | null {
  const ms = Number(firstHeader(headers, 'retry-after-ms'))
  if (firstHeader(headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0)
    return ms
  const value = firstHeader(headers, 'retry-after')
  if (value === undefined) return null
  const seconds = Number(value)
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs)
}

/** One header value; Node gives arrays for repeated headers. */
export function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

const MAX_MESSAGE_CHARS = 1000
const SECRET_LOOKING = /\b(sk|sk-ant|sk-proj|key)-[A-Za-z0-9_-]{8,}/g

/**
 * An upstream error message made safe to show: the account's credential and anything that
 * looks like a key are masked, and the length is capped.
 */
export function cleanUpstreamMessage(
  message: string | null,
  credential: string | null,
): string | null {
  if (message === null || message.trim() === '') return null
  let cleaned = message
  if (credential !== null && credential.length >= 4) cleaned = cleaned.split(credential).join('***')
  cleaned = cleaned.replace(SECRET_LOOKING, '$1-***')
  return cleaned.length > MAX_MESSAGE_CHARS ? `${cleaned.slice(0, MAX_MESSAGE_CHARS)}…` : cleaned
}
