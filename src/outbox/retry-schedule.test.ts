import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../lib/random.js'
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs } from './retry-schedule.js'

const fixed = (value: number) => ({ next: () => value })

describe('retryDelayMs', () => {
  it('doubles from the base delay, between half and all of each step', () => {
    const schedule = { baseDelayMs: 1000, maxDelayMs: 60_000 }
    expect(
      [1, 2, 3, 4].map((attempt) => retryDelayMs({ attempt, schedule, random: fixed(0) })),
    ).toEqual([500, 1000, 2000, 4000])
    expect(
      [1, 2, 3, 4].map((attempt) => retryDelayMs({ attempt, schedule, random: fixed(0.999999) })),
    ).toEqual([1000, 2000, 4000, 8000])
  })

  it('never waits longer than the cap, however many attempts failed', () => {
    const random = createSeededRandom(7)
    for (let attempt = 1; attempt <= 200; attempt++) {
      const delay = retryDelayMs({ attempt, schedule: DEFAULT_RETRY_SCHEDULE, random })
      expect(delay).toBeGreaterThan(0)
      expect(delay).toBeLessThanOrEqual(DEFAULT_RETRY_SCHEDULE.maxDelayMs)
    }
    expect(retryDelayMs({ attempt: 30, schedule: DEFAULT_RETRY_SCHEDULE, random: fixed(0) })).toBe(
      DEFAULT_RETRY_SCHEDULE.maxDelayMs / 2,
    )
  })

  it('spreads rows that failed together (jitter)', () => {
    const random = createSeededRandom(42)
    const delays = new Set(
      Array.from({ length: 20 }, () =>
        retryDelayMs({ attempt: 5, schedule: DEFAULT_RETRY_SCHEDULE, random }),
      ),
    )
    expect(delays.size).toBeGreaterThan(15)
  })
})
