import { describe, expect, it } from 'vitest'
import { formatGoDuration } from './format-go-duration.js'

describe('formatGoDuration', () => {
  it("writes durations the way Go's time.Duration does", () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [-5, '0s'],
      [0.2, '1ms'],
      [12, '12ms'],
      [999, '999ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [2282, '2.282s'],
      [60_000, '1m0s'],
      [360_000, '6m0s'],
      [90_500, '1m30.5s'],
      [3_600_000, '1h0m0s'],
      [3_723_004, '1h2m3.004s'],
    ]
    for (const [ms, expected] of cases) expect(formatGoDuration(ms), String(ms)).toBe(expected)
  })
})
