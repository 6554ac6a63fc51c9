import {
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
  isUpstreamError,
} from '../providers/index.js'
import type { FailureCondition } from './route-policy.js'

/**
 * The routing condition of a failed attempt: an exhaustive switch over the classified provider
 * failures (STYLE §3.4). Null for anything that is not an upstream failure (a 400 Ferry raised
 * itself, a client abort) and for a 4xx the client caused: those never retry or fall back.
 */
export function failureConditionOf(err: unknown): FailureCondition | null {
  if (!isUpstreamError(err)) return null
  switch (err.kind) {
    case 'timeout':
      return 'timeout'
    case 'rate_limited':
      return 'rate_limited'
    case 'bad_response':
      return 'bad_response'
    case 'unavailable':
      if (!(err instanceof UpstreamUnavailableError)) return 'server_error'
      switch (err.reason) {
        case 'connection_refused':
        case 'connection_reset':
        case 'connection_failed':
          return 'connection_error'
        case 'server_error':
        case 'overloaded':
          return 'server_error'
        case 'authentication_failed':
        case 'quota_exhausted':
        case 'endpoint_not_found':
        case 'address_forbidden':
          return 'account_error'
      }
      return null
    case 'client_error': {
      // Only where the provider says so: its code or type names the cause.
      const label = `${err.upstreamCode ?? ''} ${err.code ?? ''} ${err.type}`
      if (/context_length/.test(label)) return 'context_length'
      if (/content_filter|content_policy/.test(label)) return 'content_filter'
      return null
    }
  }
}

/** Failures that count against a provider's health (its circuit breaker). */
export function countsAgainstHealth(condition: FailureCondition | null): boolean {
  return (
    condition === 'timeout' ||
    condition === 'connection_error' ||
    condition === 'server_error' ||
    condition === 'bad_response'
  )
}

/** The retry delay a rate-limited upstream asked for, if any. */
export function retryAfterOf(err: unknown): number | null {
  return err instanceof UpstreamRateLimitedError ? err.retryAfterMs : null
}
