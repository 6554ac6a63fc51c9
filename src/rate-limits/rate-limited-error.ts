import { FerryError } from '../lib/errors.js'
import { formatGoDuration } from './format-go-duration.js'
import { formatRateLimitHeaders } from './format-rate-limit-headers.js'
import type { RateLimit, RateLimitRefused } from './rate-limiter.js'

/**
 * 429 for a request over a requests- or tokens-per-minute limit, in OpenAI's shape: `type` is
 * the kind of limit (`requests` or `tokens`), `code` is `rate_limit_exceeded`, and the
 * response carries `retry-after` and the `x-ratelimit-*` headers. The message names the scope
 * (this key or the organization), never the key itself.
 */
export class RateLimitedError extends FerryError {
  readonly decision: RateLimitRefused

  constructor(decision: RateLimitRefused) {
    const { charge, retryAfterMs, index } = decision.refusal
    const { rateLimit } = charge
    const remaining = decision.states[index]?.remaining ?? 0
    const where = `${subjectOf(rateLimit)} on ${unitOf(rateLimit)}`
    const message =
      retryAfterMs === undefined
        ? `Request too large for ${where}: Limit ${rateLimit.limit}, Requested ${charge.cost}. ` +
          'The input or output tokens must be reduced in order to run successfully.'
        : `Rate limit reached for ${where}: Limit ${rateLimit.limit}, ` +
          `Used ${rateLimit.limit - remaining}, Requested ${charge.cost}. ` +
          `Please try again in ${formatGoDuration(retryAfterMs)}.`
    super(message, {
      status: 429,
      type: rateLimit.kind,
      code: 'rate_limit_exceeded',
      headers: formatRateLimitHeaders(decision),
    })
    this.decision = decision
  }
}

function subjectOf(rateLimit: RateLimit): string {
  switch (rateLimit.scope) {
    case 'key':
      return 'this API key'
    case 'organization':
      return 'your organization'
  }
}

function unitOf(rateLimit: RateLimit): string {
  const abbreviation = rateLimit.kind === 'tokens' ? 'TPM' : 'RPM'
  if (rateLimit.windowMs === 60_000) return `${rateLimit.kind} per min (${abbreviation})`
  return `${rateLimit.kind} per ${formatGoDuration(rateLimit.windowMs)}`
}
