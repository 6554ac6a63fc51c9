import type { Clock } from '../lib/clock.js'
import type { RateLimits } from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import type { KeyScopes, KeyStatus } from './api-key.js'
import type { KeyCache, CachedKey } from './key-cache.js'
import { InvalidApiKeyError } from './key-errors.js'
import {
  hashKeySecret,
  labelKeySecret,
  matchKeyHash,
  parseKeySecret,
  type KeyEnvironment,
} from './key-secret.js'
import { findKeyForAuthentication } from './keys.repository.js'
import { createVerifiedSecrets } from './verified-secrets.js'

/** Everything the request path needs about a key, cached so a hit costs no database round trip. */
export interface AuthenticatedKey extends CachedKey {
  readonly label: string
  readonly name: string
  readonly environment: KeyEnvironment
  readonly status: KeyStatus
  readonly scopes: KeyScopes
  readonly rateLimits: RateLimits
  readonly organizationActive: boolean
  readonly organizationRateLimits: RateLimits
  /**
   * The organization opted in to prompt and completion capture (request logs): only then does
   * the request path hand its content to `requestLog.capture`. Invalidated with the
   * organization, like its status and rate limits.
   */
  readonly requestLogCapture: boolean
}

export interface KeyAuthenticator {
  /**
   * The key a presented secret belongs to, or InvalidApiKeyError: malformed, unknown, revoked,
   * expired, rotated out past its grace, or of a suspended organization, without saying which.
   */
  authenticate(presented: string): Promise<AuthenticatedKey>
  readonly cache: KeyCache<AuthenticatedKey>
}

export function createKeyAuthenticator(deps: {
  db: Db
  cache: KeyCache<AuthenticatedKey>
  hashKey: Buffer
  clock: Clock
}): KeyAuthenticator {
  const load = async (keyId: string): Promise<AuthenticatedKey | undefined> => {
    const row = await findKeyForAuthentication(deps.db, keyId)
    if (!row) return undefined
    return {
      keyId: row.key_id,
      organizationId: row.organization_id,
      label: row.label,
      name: row.name,
      environment: row.environment as KeyEnvironment,
      status: row.status as KeyStatus,
      scopes: JSON.parse(row.scopes_json) as KeyScopes,
      rateLimits: row.rate_limits_json ? (JSON.parse(row.rate_limits_json) as RateLimits) : {},
      organizationActive: row.organization_status === 'active',
      organizationRateLimits: row.organization_rate_limits_json
        ? (JSON.parse(row.organization_rate_limits_json) as RateLimits)
        : {},
      requestLogCapture: Number(row.request_log_capture_enabled ?? 0) === 1,
      hash: Buffer.from(row.secret_hash, 'hex'),
      previousHash: row.previous_secret_hash ? Buffer.from(row.previous_secret_hash, 'hex') : null,
      previousHashExpiresAtMs: row.previous_hash_expires_at
        ? Date.parse(row.previous_hash_expires_at)
        : null,
      expiresAtMs: row.expires_at ? Date.parse(row.expires_at) : null,
      revokedAtMs: row.revoked_at ? Date.parse(row.revoked_at) : null,
    }
  }

  // The HMAC is the costliest step of a cache hit: a secret is checked once per key object.
  const verified = createVerifiedSecrets<AuthenticatedKey>()

  return {
    cache: deps.cache,
    authenticate: async (presented) => {
      const parsed = parseKeySecret(presented)
      if (!parsed) throw new InvalidApiKeyError()
      const peeked = deps.cache.peek(parsed.keyId)
      const key =
        peeked.status === 'hit'
          ? peeked.key
          : peeked.status === 'unknown'
            ? undefined
            : await deps.cache.load(parsed.keyId, load)
      const label = labelKeySecret(presented)
      if (!key) throw new InvalidApiKeyError(label)
      const nowMs = deps.clock.nowMs()
      let matched = verified.matchedBefore(presented, key)
      if (matched === undefined) {
        matched = matchKeyHash(hashKeySecret(presented, deps.hashKey), key, nowMs)
        if (matched !== undefined) verified.remember(presented, key, matched)
      }
      // The previous hash is accepted only during its grace period, remembered or not.
      if (matched === 'previous' && !isWithinGrace(key, nowMs)) matched = undefined
      const usable =
        matched !== undefined &&
        key.status === 'active' &&
        key.organizationActive &&
        (key.expiresAtMs === null || key.expiresAtMs === undefined || nowMs < key.expiresAtMs)
      if (!usable) throw new InvalidApiKeyError(label)
      return key
    },
  }
}

function isWithinGrace(key: AuthenticatedKey, nowMs: number): boolean {
  const until = key.previousHashExpiresAtMs
  return typeof until === 'number' && nowMs < until
}
