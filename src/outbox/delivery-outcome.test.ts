import { describe, expect, it } from 'vitest'
import { classifyDeliveryError, outcomeOfStatus } from './delivery-outcome.js'

describe('delivery outcomes', () => {
  it('counts only a 2xx as delivered', () => {
    expect(outcomeOfStatus(200)).toEqual({ ok: true })
    expect(outcomeOfStatus(204)).toEqual({ ok: true })
    expect(outcomeOfStatus(301)).toEqual({ ok: false, reason: 'http_301' })
    expect(outcomeOfStatus(401)).toEqual({ ok: false, reason: 'http_401' })
    expect(outcomeOfStatus(503)).toEqual({ ok: false, reason: 'http_503' })
  })

  it('names a failure by its kind, never by its message', () => {
    const coded = (code: string) =>
      Object.assign(new Error('connect to https://hooks.example.com/?token=s3cret failed'), {
        code,
      })
    expect(classifyDeliveryError(coded('ECONNREFUSED'))).toBe('connection_refused')
    expect(classifyDeliveryError(coded('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout')
    expect(classifyDeliveryError(coded('ENOTFOUND'))).toBe('dns_lookup_failed')
    expect(classifyDeliveryError(coded('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe('tls_error')
    expect(classifyDeliveryError(new DOMException('late', 'TimeoutError'))).toBe('timeout')
    expect(
      classifyDeliveryError(new TypeError('fetch failed', { cause: coded('ECONNRESET') })),
    ).toBe('connection_reset')
    expect(classifyDeliveryError(new Error('something else'))).toBe('network_error')
    expect(classifyDeliveryError('a string')).toBe('network_error')
  })
})
