import { FerryError } from '../lib/errors.js'

/**
 * Provider failures, classified once (STYLE §3.4). Routing's fallback switches over `kind`;
 * the HTTP layer maps them like any FerryError. Messages are fixed texts: they never carry a
 * credential or an upstream body, except OpenAI's own `error.message` on a passed-through 4xx.
 */
export type UpstreamFailureKind =
  'timeout' | 'rate_limited' | 'unavailable' | 'bad_response' | 'client_error'

/** Facts about the failed call that logs, usage events and routing want. */
export interface UpstreamFailureDetails {
  /** The upstream's HTTP status; null when no response arrived (connect failure, reset). */
  upstreamStatus?: number | null
  /** The upstream's own request ID (`x-request-id`, `request-id`, `apim-request-id`). */
  upstreamRequestId?: string | null
  /** The upstream's error type or code, e.g. `overloaded_error` (a code, never a message). */
  upstreamCode?: string | null
  cause?: unknown
}

/** Base of every classified provider failure. */
export abstract class UpstreamError extends FerryError {
  abstract readonly kind: UpstreamFailureKind
  readonly upstreamStatus: number | null
  readonly upstreamRequestId: string | null
  readonly upstreamCode: string | null

  protected constructor(
    message: string,
    wire: {
      status: number
      type: string
      code: string | null
      param?: string | null
      headers?: Record<string, string>
    },
    details: UpstreamFailureDetails,
  ) {
    super(message, { ...wire, cause: details.cause })
    this.upstreamStatus = details.upstreamStatus ?? null
    this.upstreamRequestId = details.upstreamRequestId ?? null
    this.upstreamCode = details.upstreamCode ?? null
  }
}

/** Which wait ran out. */
export type TimeoutPhase = 'connect' | 'headers' | 'body'

/** 504: the upstream did not connect, answer or keep streaming in time. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = 'timeout' as const
  readonly phase: TimeoutPhase

  constructor(phase: TimeoutPhase, details: UpstreamFailureDetails = {}) {
    super(
      TIMEOUT_MESSAGES[phase],
      { status: 504, type: 'server_error', code: 'upstream_timeout' },
      details,
    )
    this.phase = phase
  }
}

const TIMEOUT_MESSAGES: Record<TimeoutPhase, string> = {
  connect: 'The upstream provider could not be reached in time.',
  headers: 'The upstream provider did not respond in time.',
  body: 'The upstream provider stopped sending its response.',
}

/** The longest Retry-After Ferry passes on: some SDKs sleep for whatever the header says. */
export const MAX_RETRY_AFTER_MS = 60_000

/** 429: the upstream is rate limiting Ferry's provider account. Keeps the retry delay. */
export class UpstreamRateLimitedError extends UpstreamError {
  readonly kind = 'rate_limited' as const
  /** The upstream's retry delay, capped at 60 s; null when it gave none. */
  readonly retryAfterMs: number | null

  constructor(retryAfterMs: number | null, details: UpstreamFailureDetails = {}) {
    const capped =
      retryAfterMs === null ? null : Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS)
    super(
      'The upstream provider is rate limiting requests. Please retry after a short wait.',
      {
        status: 429,
        type: 'rate_limit_error',
        code: 'upstream_rate_limited',
        ...(capped === null
          ? {}
          : { headers: { 'retry-after': String(Math.max(1, Math.ceil(capped / 1000))) } }),
      },
      details,
    )
    this.retryAfterMs = capped
  }
}

/** Why an upstream counts as unavailable; for logs and routing, not for the client. */
export type UnavailableReason =
  | 'connection_refused'
  | 'connection_reset'
  | 'connection_failed'
  | 'server_error'
  | 'overloaded'
  | 'authentication_failed'
  | 'quota_exhausted'
  | 'endpoint_not_found'
  /** The base URL resolves to an address the SSRF guard forbids (docs/providers.md). */
  | 'address_forbidden'

/**
 * 502/503: the upstream refused the connection, dropped it, failed with 5xx, or rejected Ferry's
 * own credential or quota (the client cannot fix those, so they are not passed through).
 */
export class UpstreamUnavailableError extends UpstreamError {
  readonly kind = 'unavailable' as const
  readonly reason: UnavailableReason

  constructor(reason: UnavailableReason, details: UpstreamFailureDetails = {}) {
    super(
      UNAVAILABLE_MESSAGES[reason],
      {
        status: reason === 'overloaded' ? 503 : 502,
        type: 'server_error',
        code: 'upstream_unavailable',
        // A client retry cannot fix Ferry's own configuration: tell SDKs not to retry.
        ...(PERSISTENT_REASONS.has(reason) ? { headers: { 'x-should-retry': 'false' } } : {}),
      },
      details,
    )
    this.reason = reason
  }
}

const PERSISTENT_REASONS: ReadonlySet<UnavailableReason> = new Set([
  'authentication_failed',
  'quota_exhausted',
  'endpoint_not_found',
  'address_forbidden',
])

const UNAVAILABLE_MESSAGES: Record<UnavailableReason, string> = {
  connection_refused: 'The upstream provider refused the connection.',
  connection_reset: 'The upstream provider closed the connection unexpectedly.',
  connection_failed: 'The upstream provider could not be reached.',
  server_error: 'The upstream provider had an error while processing the request.',
  overloaded: 'The upstream provider is overloaded. Please retry later.',
  authentication_failed: 'The gateway is not authorised by the upstream provider.',
  quota_exhausted: 'The upstream provider account has no quota left.',
  endpoint_not_found: 'The upstream provider does not serve this endpoint.',
  // Deliberately vague to the client: the address and why it is refused are for the operator.
  address_forbidden: 'The upstream provider could not be reached.',
}

/** 502: the upstream answered, but not in a form Ferry can read (malformed JSON or SSE). */
export class UpstreamBadResponseError extends UpstreamError {
  readonly kind = 'bad_response' as const

  constructor(what: string, details: UpstreamFailureDetails = {}) {
    super(
      `The upstream provider sent an invalid response (${what}).`,
      { status: 502, type: 'server_error', code: 'upstream_bad_response' },
      details,
    )
  }
}

/** The OpenAI error fields of an upstream's 4xx, already extracted and cleaned. */
export interface UpstreamClientErrorFields {
  status: number
  message: string
  type: string
  code: string | null
  param: string | null
}

/**
 * A 4xx the upstream blamed on the request (context too long, unknown model, bad parameter):
 * passed through in OpenAI's shape with the upstream's status, type, code, param and message.
 */
export class UpstreamClientError extends UpstreamError {
  readonly kind = 'client_error' as const

  constructor(fields: UpstreamClientErrorFields, details: UpstreamFailureDetails = {}) {
    super(
      fields.message,
      { status: fields.status, type: fields.type, code: fields.code, param: fields.param },
      details,
    )
  }
}

/** True for every classified provider failure. */
export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError
}
