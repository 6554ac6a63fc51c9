import { describe, expect, it } from 'vitest'
import {
  ACCOUNT_THROTTLE,
  lockRemainingMs,
  registerFailure,
  type ThrottleState,
} from './login-throttle.js'

describe('login throttle', () => {
  it('allows the free failures, then locks for doubling periods up to the cap', () => {
    let state: ThrottleState | undefined
    let now = 0
    for (let i = 0; i < 4; i++)
      state = registerFailure(state, { nowMs: now, policy: ACCOUNT_THROTTLE })
    expect(lockRemainingMs(state, now)).toBe(0)
    state = registerFailure(state, { nowMs: now, policy: ACCOUNT_THROTTLE })
    expect(lockRemainingMs(state, now)).toBe(60_000)
    now += 60_000
    state = registerFailure(state, { nowMs: now, policy: ACCOUNT_THROTTLE })
    expect(lockRemainingMs(state, now)).toBe(120_000)
    for (let i = 0; i < 20; i++)
      state = registerFailure(state, { nowMs: now, policy: ACCOUNT_THROTTLE })
    expect(lockRemainingMs(state, now)).toBe(ACCOUNT_THROTTLE.maxLockMs)
  })

  it('forgets failures after a quiet window following the last lock', () => {
    let state: ThrottleState | undefined
    for (let i = 0; i < 5; i++)
      state = registerFailure(state, { nowMs: 0, policy: ACCOUNT_THROTTLE })
    const later = 60_000 + ACCOUNT_THROTTLE.windowMs + 1
    state = registerFailure(state, { nowMs: later, policy: ACCOUNT_THROTTLE })
    expect(state.failures).toBe(1)
    expect(lockRemainingMs(state, later)).toBe(0)
  })
})
