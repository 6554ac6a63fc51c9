import { describe, expect, it } from 'vitest'
import {
  classifyHttpFailure,
  classifyStreamError,
  classifyTransportError,
  cleanUpstreamMessage,
  retryAfterMs,
  type HttpFailure,
} from './classify-failure.js'
import {
  UpstreamBadResponseError,
  UpstreamClientError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream-errors.js'

const NOW = Date.UTC(2026, 0, 1)
const failure = (status: number, extra: Partial<HttpFailure> = {}): HttpFailure => ({
  status,
  info: { message: 'upstream says no', type: 'invalid_request_error', code: null, param: null },
  headers: {},
  nowMs: NOW,
  credential: 'sk-secret-credential-123',
  upstreamRequestId: 'req_up',
  ...extra,
})

describe('classifyTransportError', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', UpstreamTimeoutError, { phase: 'connect', status: 504 }],
    ['UND_ERR_HEADERS_TIMEOUT', UpstreamTimeoutError, { phase: 'headers' }],
    ['UND_ERR_BODY_TIMEOUT', UpstreamTimeoutError, { phase: 'body' }],
    ['ECONNREFUSED', UpstreamUnavailableError, { reason: 'connection_refused', status: 502 }],
    ['ECONNRESET', UpstreamUnavailableError, { reason: 'connection_reset' }],
    ['UND_ERR_SOCKET', UpstreamUnavailableError, { reason: 'connection_reset' }],
    ['ENOTFOUND', UpstreamUnavailableError, { reason: 'connection_failed' }],
    ['HPE_INVALID_CONSTANT', UpstreamBadResponseError, {}],
  ] as const)('maps %s', (code, Class, fields) => {
    const err = classifyTransportError(Object.assign(new Error('x'), { code }))
    expect(err).toBeInstanceOf(Class)
    expect(err).toMatchObject(fields)
  })

  it('finds the code in a cause or an AggregateError (happy eyeballs)', () => {
    const aggregate = new AggregateError(
      [Object.assign(new Error('a'), { code: 'ECONNREFUSED' })],
      'all failed',
    )
    expect(classifyTransportError(aggregate)).toMatchObject({ reason: 'connection_refused' })
    const wrapped = new Error('fetch failed', {
      cause: Object.assign(new Error('b'), { code: 'ECONNRESET' }),
    })
    expect(classifyTransportError(wrapped)).toMatchObject({ reason: 'connection_reset' })
  })
})

describe('classifyHttpFailure', () => {
  it('passes 4xx through with the upstream fields, credential masked', () => {
    const err = classifyHttpFailure(
      failure(400, {
        info: {
          message: 'bad key sk-secret-credential-123 and sk-proj-abcdefghijkl',
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
          param: 'messages',
        },
      }),
    )
    expect(err).toBeInstanceOf(UpstreamClientError)
    expect(err).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
      upstreamRequestId: 'req_up',
    })
    expect(err.message).not.toContain('secret-credential')
    expect(err.message).not.toContain('abcdefghijkl')
  })

  it('keeps Retry-After, capped at 60 s', () => {
    const err = classifyHttpFailure(failure(429, { headers: { 'retry-after': '3600' } }))
    expect(err).toBeInstanceOf(UpstreamRateLimitedError)
    expect(err).toMatchObject({ retryAfterMs: 60_000, headers: { 'retry-after': '60' } })
  })

  it('tells an exhausted provider account from a rate limit', () => {
    const err = classifyHttpFailure(
      failure(429, {
        info: {
          message: 'quota',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
          param: null,
        },
      }),
    )
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'quota_exhausted' })
  })

  it.each([
    [401, { kind: 'unavailable', reason: 'authentication_failed', status: 502 }],
    [403, { kind: 'unavailable', reason: 'authentication_failed' }],
    [408, { kind: 'timeout' }],
    [500, { kind: 'unavailable', reason: 'server_error', status: 502 }],
    [503, { kind: 'unavailable', reason: 'overloaded', status: 503 }],
    [529, { kind: 'unavailable', reason: 'overloaded' }],
    [504, { kind: 'timeout', phase: 'headers' }],
    [302, { kind: 'bad_response' }],
  ])('classifies %i', (status, fields) => {
    const err = classifyHttpFailure(failure(status))
    expect(err).toMatchObject({ upstreamStatus: status, ...fields })
    expect(err.message).not.toContain('upstream says no')
  })
})

describe('classifyStreamError', () => {
  const context = { credential: null, upstreamRequestId: null }
  it.each([
    ['server_error', 'unavailable'],
    ['overloaded_error', 'unavailable'],
    ['rate_limit_error', 'rate_limited'],
    ['timeout_error', 'timeout'],
    ['invalid_request_error', 'client_error'],
  ])('maps %s to %s', (type, kind) => {
    expect(classifyStreamError({ message: 'm', type, code: null, param: null }, context).kind).toBe(
      kind,
    )
  })
})

describe('retryAfterMs', () => {
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250' }, NOW)).toBe(250)
    expect(retryAfterMs({ 'retry-after': '2' }, NOW)).toBe(2000)
    expect(retryAfterMs({ 'retry-after': new Date(NOW + 5000).toUTCString() }, NOW)).toBe(5000)
    expect(retryAfterMs({ 'retry-after': 'soon' }, NOW)).toBeNull()
    expect(retryAfterMs({}, NOW)).toBeNull()
  })
})

describe('cleanUpstreamMessage', () => {
  it('caps long messages and drops empty ones', () => {
    expect(cleanUpstreamMessage('  ', null)).toBeNull()
    expect(cleanUpstreamMessage('x'.repeat(5000), null)!.length).toBeLessThan(1100)
  })
})

describe('misconfiguration', () => {
  it('calls a bare 404 a missing endpoint and tells SDKs not to retry', () => {
    const bare = classifyHttpFailure(
      failure(404, { info: { message: null, type: null, code: null, param: null } }),
    )
    expect(bare).toMatchObject({
      kind: 'unavailable',
      reason: 'endpoint_not_found',
      headers: { 'x-should-retry': 'false' },
    })
    expect(classifyHttpFailure(failure(404))).toMatchObject({ kind: 'client_error', status: 404 })
    expect(classifyHttpFailure(failure(401))).toMatchObject({
      headers: { 'x-should-retry': 'false' },
    })
  })
})
