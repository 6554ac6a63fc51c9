import {
  classifyHttpFailure,
  classifyStreamError,
  classifyTransportError,
} from '../classify-failure.js'
import type { UpstreamContext } from '../upstream-context.js'
import { UpstreamBadResponseError, type UpstreamError } from '../upstream-errors.js'
import type { MockSettings } from './mock-settings.js'

const TRANSPORT_CODES = {
  refused: 'ECONNREFUSED',
  reset: 'ECONNRESET',
  timeout: 'UND_ERR_HEADERS_TIMEOUT',
} as const

/**
 * The failure a configured mock suffers before its first byte, classified exactly as the same
 * failure from a real upstream would be (so routing and settlement can be tested end to end).
 */
export function failureBeforeFirstByte(
  settings: MockSettings,
  ctx: UpstreamContext,
): UpstreamError | null {
  if (settings.failTransport !== undefined)
    return classifyTransportError({ code: TRANSPORT_CODES[settings.failTransport] })
  const status = settings.failStatus
  if (status === undefined) return null
  return classifyHttpFailure({
    status,
    info: {
      message: `The mock provider was set to fail with status ${status}.`,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: status === 429 ? 'rate_limit_exceeded' : null,
      param: null,
    },
    headers: status === 429 ? { 'retry-after': '1' } : {},
    nowMs: ctx.clock.nowMs(),
    credential: null,
    upstreamRequestId: null,
  })
}

/** The failure a configured mock stream suffers before handing over item `index`, if any. */
export function failureAt(settings: MockSettings, index: number): UpstreamError | null {
  if (settings.malformedAfterChunks === index)
    return new UpstreamBadResponseError('malformed stream event')
  if (settings.failAfterChunks === index) {
    return classifyStreamError(
      {
        message: 'The mock provider was set to fail mid-stream.',
        type: settings.failType,
        code: null,
        param: null,
      },
      { credential: null, upstreamRequestId: null },
    )
  }
  return null
}
