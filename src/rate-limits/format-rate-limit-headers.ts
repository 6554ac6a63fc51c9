import { formatGoDuration } from './format-go-duration.js'
import type { RateLimitDecision, RateLimitKind, RateLimitState } from './rate-limiter.js'

/** The response headers OpenAI sends about rate limits, plus the retry hints its SDKs read. */
export const RATE_LIMIT_HEADERS = {
  limitRequests: 'x-ratelimit-limit-requests',
  limitTokens: 'x-ratelimit-limit-tokens',
  remainingRequests: 'x-ratelimit-remaining-requests',
  remainingTokens: 'x-ratelimit-remaining-tokens',
  resetRequests: 'x-ratelimit-reset-requests',
  resetTokens: 'x-ratelimit-reset-tokens',
  retryAfter: 'retry-after',
  retryAfterMs: 'retry-after-ms',
  shouldRetry: 'x-should-retry',
} as const

/**
 * The headers for a decision. Per kind (requests, tokens) they describe the binding limit:
 * the one with the fewest units remaining (key or organization, whichever is tighter). A
 * refusal adds `retry-after` (whole seconds, at least 1) and `retry-after-ms`; a request that
 * can never fit adds `x-should-retry: false` instead, so SDKs do not retry it.
 * @example reply.headers(formatRateLimitHeaders(decision))
 */
export function formatRateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {}
  const requests = bindingState(decision.states, 'requests')
  if (requests !== undefined) {
    headers[RATE_LIMIT_HEADERS.limitRequests] = String(requests.rateLimit.limit)
    headers[RATE_LIMIT_HEADERS.remainingRequests] = String(requests.remaining)
    headers[RATE_LIMIT_HEADERS.resetRequests] = formatGoDuration(requests.resetMs)
  }
  const tokens = bindingState(decision.states, 'tokens')
  if (tokens !== undefined) {
    headers[RATE_LIMIT_HEADERS.limitTokens] = String(tokens.rateLimit.limit)
    headers[RATE_LIMIT_HEADERS.remainingTokens] = String(tokens.remaining)
    headers[RATE_LIMIT_HEADERS.resetTokens] = formatGoDuration(tokens.resetMs)
  }
  if (!decision.allowed) {
    const { retryAfterMs } = decision.refusal
    if (retryAfterMs === undefined) {
      headers[RATE_LIMIT_HEADERS.shouldRetry] = 'false'
    } else {
      headers[RATE_LIMIT_HEADERS.retryAfter] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)))
      headers[RATE_LIMIT_HEADERS.retryAfterMs] = String(Math.max(1, Math.ceil(retryAfterMs)))
    }
  }
  return headers
}

function bindingState(
  states: readonly RateLimitState[],
  kind: RateLimitKind,
): RateLimitState | undefined {
  let binding: RateLimitState | undefined
  for (const state of states) {
    if (state.rateLimit.kind !== kind) continue
    if (
      binding === undefined ||
      state.remaining < binding.remaining ||
      (state.remaining === binding.remaining && state.resetMs > binding.resetMs)
    ) {
      binding = state
    }
  }
  return binding
}
