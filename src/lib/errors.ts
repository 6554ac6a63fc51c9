/**
 * The one error family. Every error Ferry answers with is a FerryError; `http/openai-error.ts`
 * maps it to OpenAI's `{ error: { message, type, param, code } }` envelope. Codes are snake_case
 * and identical to what goes on the wire; each is catalogued in docs/errors.md.
 *
 * Messages never hold secrets, prompts or raw upstream bodies: use labels and IDs.
 */
export interface FerryErrorOptions {
  status: number
  type: string
  code: string | null
  param?: string | null
  /** Extra response headers this error needs (for example `retry-after`). */
  headers?: Readonly<Record<string, string>>
  cause?: unknown
}

export class FerryError extends Error {
  readonly status: number
  readonly type: string
  readonly code: string | null
  readonly param: string | null
  readonly headers: Readonly<Record<string, string>>

  constructor(message: string, options: FerryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = options.status
    this.type = options.type
    this.code = options.code
    this.param = options.param ?? null
    this.headers = options.headers ?? {}
  }
}

/** 400: the request is malformed or a parameter is invalid. `param` names the field. */
export class InvalidRequestError extends FerryError {
  constructor(message: string, options: { param?: string | null; code?: string | null } = {}) {
    super(message, {
      status: 400,
      type: 'invalid_request_error',
      code: options.code ?? null,
      param: options.param ?? null,
    })
  }
}

/** 400 with OpenAI's own wording for a body that is not JSON. */
export class InvalidJsonBodyError extends FerryError {
  constructor() {
    super(
      'We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.',
      { status: 400, type: 'invalid_request_error', code: null },
    )
  }
}

/** 400 for a JSON body nested deeper than any request needs (src/http/json-depth.ts). */
export class JsonTooDeepError extends FerryError {
  constructor(maxDepth: number) {
    super(
      `The JSON body of your request nests objects and arrays more than ${maxDepth} levels deep; no request needs that many.`,
      { status: 400, type: 'invalid_request_error', code: 'json_too_deep' },
    )
  }
}

/** 404 for a URL no route serves (OpenAI: `Invalid URL (POST /v1/foo)`). */
export class UnknownRouteError extends FerryError {
  constructor(method: string, path: string) {
    super(`Invalid URL (${method} ${path})`, {
      status: 404,
      type: 'invalid_request_error',
      code: 'unknown_url',
    })
  }
}

/** 404 for a resource that does not exist (or that the caller may not see). */
export class NotFoundError extends FerryError {
  constructor(message: string, options: { code?: string; param?: string | null } = {}) {
    super(message, {
      status: 404,
      type: 'invalid_request_error',
      code: options.code ?? 'not_found',
      param: options.param ?? null,
    })
  }
}

/** 405: the URL exists, but not for this method. */
export class MethodNotAllowedError extends FerryError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(`Method ${method} is not allowed on ${path}. Allowed: ${allowed.join(', ')}.`, {
      status: 405,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      headers: { allow: allowed.join(', ') },
    })
  }
}

/**
 * 400: the URL is not well-formed (a broken percent-escape, bytes that are not UTF-8). Raised by
 * the router before any route runs; the message does not repeat the URL.
 */
export class InvalidUrlError extends FerryError {
  constructor() {
    super(
      'The request URL is not valid: a path segment is not well-formed percent-encoded UTF-8.',
      {
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_url',
      },
    )
  }
}

/** 414: a path segment (an ID in the URL) is longer than any ID Ferry issues. */
export class UrlTooLongError extends FerryError {
  constructor(maxSegmentLength: number) {
    super(`A path segment of the request URL is longer than ${maxSegmentLength} characters.`, {
      status: 414,
      type: 'invalid_request_error',
      code: 'url_too_long',
    })
  }
}

/**
 * Connection-level refusals, answered before any request exists (http/client-errors.ts):
 * headers or body not received in time, headers too large, bytes that are not HTTP.
 */
export class RequestTimeoutError extends FerryError {
  constructor() {
    super('The request was not received in time; the connection is closed.', {
      status: 408,
      type: 'invalid_request_error',
      code: 'request_timeout',
    })
  }
}

/** 431: the request headers are larger than the server accepts. */
export class HeadersTooLargeError extends FerryError {
  constructor() {
    super('The request headers are too large.', {
      status: 431,
      type: 'invalid_request_error',
      code: 'headers_too_large',
    })
  }
}

/** 400: the bytes received are not a valid HTTP request (e.g. CR or LF inside a header value). */
export class MalformedHttpRequestError extends FerryError {
  constructor() {
    super('The request is not valid HTTP; the connection is closed.', {
      status: 400,
      type: 'invalid_request_error',
      code: 'malformed_http_request',
    })
  }
}

/** 413: the body is over the configured limit. */
export class PayloadTooLargeError extends FerryError {
  constructor(limitBytes: number) {
    super(`The request body is larger than the limit of ${limitBytes} bytes.`, {
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
    })
  }
}

/** 415: a body whose content type Ferry does not read. */
export class UnsupportedMediaTypeError extends FerryError {
  constructor() {
    super(`Unsupported content type. Send 'Content-Type: application/json'.`, {
      status: 415,
      type: 'invalid_request_error',
      code: 'unsupported_media_type',
    })
  }
}

/** 503: Ferry cannot serve right now (shutting down, database unreachable). */
export class ServiceUnavailableError extends FerryError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, {
      status: 503,
      type: 'server_error',
      code: options.code ?? 'service_unavailable',
      cause: options.cause,
    })
  }
}

/** 503: the database cannot be reached; nothing was written. Retry (OpenAI clients do). */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('The gateway cannot reach its database right now. Retry shortly.', {
      code: 'database_unavailable',
      cause,
    })
  }
}

/** 500: the one error for what we did not expect. The message stays generic on purpose. */
export class InternalServerError extends FerryError {
  constructor(cause?: unknown) {
    super('The server had an error while processing your request.', {
      status: 500,
      type: 'server_error',
      code: null,
      cause,
    })
  }
}

/** Startup and configuration problems: every problem at once, never a half-started process. */
export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}
