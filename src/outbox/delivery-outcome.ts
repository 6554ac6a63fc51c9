/** What one delivery attempt came to. */
export type DeliveryOutcome = { ok: true } | { ok: false; reason: string }

const ERROR_CODE_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ENOTFOUND: 'dns_lookup_failed',
  EAI_AGAIN: 'dns_lookup_failed',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
}

/** A 2xx is delivered; anything else is a failure named by its status (`http_503`). */
export function outcomeOfStatus(statusCode: number): DeliveryOutcome {
  return statusCode >= 200 && statusCode < 300
    ? { ok: true }
    : { ok: false, reason: `http_${statusCode}` }
}

/**
 * A short, stable reason for a failed attempt, for `last_error`: never the error's message
 * (it may quote the URL, which can hold a token) and never a response body.
 */
export function classifyDeliveryError(err: unknown): string {
  for (let current: unknown = err, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') break
    const { name, code } = current as { name?: unknown; code?: unknown }
    if (name === 'TimeoutError' || name === 'AbortError') return 'timeout'
    if (typeof code === 'string') {
      const reason = ERROR_CODE_REASONS[code]
      if (reason) return reason
      if (code.startsWith('ERR_TLS') || code.includes('CERT')) return 'tls_error'
    }
    current = (current as { cause?: unknown }).cause
  }
  return 'network_error'
}
