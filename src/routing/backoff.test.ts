import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../lib/random.js'
import { backoffMs } from './backoff.js'

const policy = { initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 'none' as const }

describe('retry backoff', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [9, 1000],
  ])('retry %i waits %i ms without jitter', (retry, expected) => {
    expect(backoffMs(policy, { retry, random: createSeededRandom(1) })).toBe(expected)
  })

  it('spreads waits uniformly below the cap with full jitter', () => {
    const random = createSeededRandom(7)
    const waits = Array.from({ length: 2000 }, () =>
      backoffMs({ ...policy, jitter: 'full' }, { retry: 3, random }),
    )
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...waits)).toBeLessThanOrEqual(400)
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length
    expect(mean).toBeGreaterThan(180)
    expect(mean).toBeLessThan(220)
  })

  it("honours the upstream's retry-after, never above the cap", () => {
    const random = createSeededRandom(3)
    expect(backoffMs(policy, { retry: 1, random, retryAfterMs: 500 })).toBe(500)
    expect(backoffMs(policy, { retry: 1, random, retryAfterMs: 5000 })).toBe(1000)
  })
})
