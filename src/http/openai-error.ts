import { formatParamPath } from '../lib/param-path.js'
import { z } from 'zod'
import {
  DatabaseUnavailableError,
  FerryError,
  InternalServerError,
  InvalidJsonBodyError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../lib/errors.js'
import { UpstreamError } from '../providers/upstream-errors.js'
import { isDatabaseUnavailableError } from '../storage/index.js'

/** OpenAI's error envelope: all four fields are always present (spec `Error`). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}

export interface MappedError {
  status: number
  body: OpenAIErrorBody
  headers: Readonly<Record<string, string>>
  /** The error we could not classify, to be logged once by the caller. */
  unexpected?: unknown
}

/** Map anything thrown to OpenAI's shape. Unknown errors become a generic 500. */
export function toOpenAIError(err: unknown, options: { bodyLimitBytes: number }): MappedError {
  const ferryError = toFerryError(err, options)
  return {
    status: ferryError.status,
    headers: ferryError.headers,
    body: {
      error: {
        message: ferryError.message,
        type: ferryError.type,
        param: ferryError.param,
        code: ferryError.code,
      },
    },
    ...(ferryError instanceof InternalServerError ? { unexpected: err } : {}),
  }
}

/** Shape of errors Fastify raises itself (content parsing, limits). */
interface FrameworkError {
  code?: unknown
  statusCode?: unknown
  message?: unknown
}

function toFerryError(err: unknown, options: { bodyLimitBytes: number }): FerryError {
  // A database outage is a 503 (retry), also when a server error wraps it (a failed audit write).
  // An upstream failure is already classified: its socket error (a refused or reset provider
  // connection, ECONNREFUSED) is the provider's, never the database's.
  if (
    (!(err instanceof FerryError) || (err.status >= 500 && !(err instanceof UpstreamError))) &&
    isDatabaseUnavailableError(err)
  )
    return new DatabaseUnavailableError(err)
  if (err instanceof FerryError) return err
  if (err instanceof z.ZodError) return zodToInvalidRequest(err)
  if (typeof err === 'object' && err !== null) {
    const { code, statusCode } = err as FrameworkError
    switch (code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new InvalidJsonBodyError()
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new PayloadTooLargeError(options.bodyLimitBytes)
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new UnsupportedMediaTypeError()
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return new InvalidRequestError('The Content-Length header does not match the body.')
      default:
        break
    }
    // Body parsing (prototype poisoning, bad encoding) and other client errors Fastify raised.
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      if (statusCode === 413) return new PayloadTooLargeError(options.bodyLimitBytes)
      return new InvalidRequestError(safeFrameworkMessage(err))
    }
  }
  return new InternalServerError(err)
}

/** A zod failure on a request body: 400 naming the first offending field. */
export function zodToInvalidRequest(err: z.ZodError): InvalidRequestError {
  const issue = err.issues[0]
  const param = issue && issue.path.length > 0 ? formatParamPath(issue.path) : null
  const message = issue
    ? issue.code === 'unrecognized_keys'
      ? `Unrecognized request argument supplied: ${issue.keys.join(', ')}`
      : `Invalid value for '${param ?? 'body'}': ${issue.message}`
    : 'Invalid request body.'
  return new InvalidRequestError(message, {
    param: issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? param) : param,
  })
}

function safeFrameworkMessage(err: FrameworkError): string {
  // Fastify's own client-error messages are fixed texts, never request content.
  return typeof err.message === 'string' && err.message.length < 200
    ? err.message
    : 'The request could not be processed.'
}
