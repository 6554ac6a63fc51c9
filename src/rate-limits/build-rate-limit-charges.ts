import type { RateLimitCharge, RateLimitKind, RateLimitScope } from './rate-limiter.js'

/** Per-minute limits as a key or a budget policy states them; null or undefined: no limit. */
export interface RateLimitSettings {
  readonly requestsPerMinute?: number | null | undefined
  readonly tokensPerMinute?: number | null | undefined
}

export interface RateLimitChargesInput {
  readonly organizationId: string
  readonly keyId: string
  readonly key: RateLimitSettings
  readonly organization: RateLimitSettings
  /** Tokens the request may use (prompt estimate + max output); corrected after the response. */
  readonly estimatedTokens: number
  /** @default 60000 */
  readonly windowMs?: number
}

/**
 * The charges for one request: one request and the estimated tokens against the key's and the
 * organization's limits, skipping limits that are not set. Counter keys carry the organization
 * in a Redis hash tag (`{org_…}`), so all four live in one Redis Cluster slot and the script
 * that checks them stays a single call.
 * @example
 * const charges = buildRateLimitCharges({ organizationId, keyId, key: key.rateLimits,
 *   organization: policy.rateLimits, estimatedTokens })
 * const decision = await rateLimiter.consume(charges)
 * if (!decision.allowed) throw new RateLimitedError(decision)
 */
export function buildRateLimitCharges(input: RateLimitChargesInput): RateLimitCharge[] {
  const windowMs = input.windowMs ?? 60_000
  const tag = `{${input.organizationId}}`
  const charges: RateLimitCharge[] = []
  const add = (scope: RateLimitScope, kind: RateLimitKind, limit: number | null | undefined) => {
    if (limit === null || limit === undefined) return
    const subject = scope === 'key' ? `key:${input.keyId}` : 'org'
    charges.push({
      rateLimit: { key: `${tag}:${subject}:${kind}`, kind, scope, limit, windowMs },
      cost: kind === 'requests' ? 1 : Math.max(0, Math.ceil(input.estimatedTokens)),
    })
  }
  add('key', 'requests', input.key.requestsPerMinute)
  add('key', 'tokens', input.key.tokensPerMinute)
  add('organization', 'requests', input.organization.requestsPerMinute)
  add('organization', 'tokens', input.organization.tokensPerMinute)
  return charges
}

/**
 * Corrections once the real token count is known: for each token charge, the difference
 * between what was used and what was estimated (negative: a refund). Pass to
 * `rateLimiter.adjust`.
 */
export function buildTokenAdjustments(
  charges: readonly RateLimitCharge[],
  usage: { readonly actualTokens: number },
): RateLimitCharge[] {
  return charges
    .filter((c) => c.rateLimit.kind === 'tokens' && c.cost !== usage.actualTokens)
    .map((c) => ({ rateLimit: c.rateLimit, cost: usage.actualTokens - c.cost }))
}

/**
 * Give back everything a request took, for one refused after the rate limiter (budget block,
 * no upstream) or never sent. Pass to `rateLimiter.adjust`.
 */
export function buildRefund(charges: readonly RateLimitCharge[]): RateLimitCharge[] {
  return charges.map((c) => ({ rateLimit: c.rateLimit, cost: -c.cost }))
}
