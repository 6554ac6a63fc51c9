import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  HeadersTooLargeError,
  InternalServerError,
  InvalidUrlError,
  MalformedHttpRequestError,
  RequestTimeoutError,
  UrlTooLongError,
  type FerryError,
} from '../lib/errors.js'
import { FERRY_HEADERS } from './headers.js'
import { toOpenAIError } from './openai-error.js'

/**
 * Fastify's router refuses some URLs before any hook runs (a broken percent-escape, a path
 * segment over `maxParamLength`) and by default answers in its own shape, without a request
 * ID. This is Fastify's `frameworkErrors`: the same refusals, in OpenAI's shape, with the ID.
 */
export function frameworkErrorHandler(options: { maxParamLength: number }) {
  return (error: { code?: string }, request: FastifyRequest, reply: FastifyReply): void =>
    answerFrameworkError({ error, request, reply, maxParamLength: options.maxParamLength })
}

function answerFrameworkError(options: {
  error: { code?: string }
  request: FastifyRequest
  reply: FastifyReply
  maxParamLength: number
}): void {
  const { error, request, reply } = options
  const refusal =
    error.code === 'FST_ERR_BAD_URL'
      ? new InvalidUrlError()
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new UrlTooLongError(options.maxParamLength)
        : new InternalServerError(error)
  if (refusal instanceof InternalServerError) request.log.error({ err: error }, 'router error')
  const mapped = toOpenAIError(refusal, { bodyLimitBytes: 0 })
  void reply
    .status(mapped.status)
    .header(FERRY_HEADERS.requestId, request.id)
    .headers(mapped.headers)
    .send(mapped.body)
}

/** Node's parser errors and timeouts that arrive before there is a request (`clientError`). */
function refusalOf(err: { code?: string }): FerryError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError()
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError()
    default:
      return new MalformedHttpRequestError()
  }
}

/**
 * Fastify's `clientErrorHandler`: a connection whose bytes are not HTTP (CR or LF inside a
 * header value, a broken request line), whose headers are too large, or that did not send its
 * request within `server.headersTimeoutMs` / `server.requestTimeoutMs` gets one answer in
 * OpenAI's shape and is closed. Nothing of the request is echoed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection (or one already closed) has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  if (socket.writable) {
    const mapped = toOpenAIError(refusalOf(err), { bodyLimitBytes: 0 })
    const body = JSON.stringify(mapped.body)
    const reason =
      mapped.status === 408
        ? 'Request Timeout'
        : mapped.status === 431
          ? 'Request Header Fields Too Large'
          : 'Bad Request'
    socket.write(
      `HTTP/1.1 ${mapped.status} ${reason}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
