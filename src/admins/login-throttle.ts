/**
 * Backoff after failed logins, per account and per client address. Pure: the repository keeps
 * the state, the caller passes the time. After `freeFailures` failures each further failure
 * locks the key for twice as long as the last (from `baseLockMs` up to `maxLockMs`); a quiet
 * `windowMs` after the last failure (or the end of the last lock) forgets them.
 */
export interface ThrottlePolicy {
  freeFailures: number
  baseLockMs: number
  maxLockMs: number
  windowMs: number
}

export const ACCOUNT_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  windowMs: 15 * 60_000,
}

/** Wider: an office behind one NAT address shares it, and password spraying spans accounts. */
export const ADDRESS_THROTTLE: ThrottlePolicy = {
  freeFailures: 20,
  baseLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  windowMs: 15 * 60_000,
}

export interface ThrottleState {
  failures: number
  lastFailureMs: number
  lockedUntilMs: number | null
}

/** Milliseconds until the key may try again (0: not locked). */
export function lockRemainingMs(state: ThrottleState | undefined, nowMs: number): number {
  const lockedUntilMs = state?.lockedUntilMs ?? null
  return lockedUntilMs === null ? 0 : Math.max(0, lockedUntilMs - nowMs)
}

/** The state after one more failure at `nowMs`. */
export function registerFailure(
  state: ThrottleState | undefined,
  options: { nowMs: number; policy: ThrottlePolicy },
): ThrottleState {
  const { nowMs, policy } = options
  const quietSince = state ? Math.max(state.lastFailureMs, state.lockedUntilMs ?? 0) : 0
  const failures = state && nowMs - quietSince <= policy.windowMs ? state.failures + 1 : 1
  const over = failures - policy.freeFailures
  const lockedUntilMs =
    over >= 0
      ? nowMs + Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** Math.min(over, 30))
      : null
  return { failures, lastFailureMs: nowMs, lockedUntilMs }
}
