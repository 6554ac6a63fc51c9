import { describe, expect, it } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import { ZERO_USAGE } from '../providers/index.js'
import { createMonthToDate } from './month-to-date.js'

describe('month-to-date totals', () => {
  const caller = { organizationId: 'org_1', keyId: 'key_1' }
  const usage = { ...ZERO_USAGE, promptTokens: 10, completionTokens: 5 }

  it('starts from the seed and counts on from it', () => {
    const clock = createManualClock(Date.UTC(2026, 2, 31, 23, 59))
    const mtd = createMonthToDate(clock)
    expect(
      mtd.seed('2026-03', [
        { scope: 'org:org_1', tokens: 100n, spendMicros: 7n },
        { scope: 'key:key_1', tokens: 40n, spendMicros: 3n },
      ]),
    ).toBe(true)
    mtd.add(caller, { usage, costMicros: 2n })
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 115n, spendMicros: 9n })
    expect(mtd.totals('key:key_1')).toEqual({ tokens: 55n, spendMicros: 5n })
    clock.advance(60_000)
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 0n, spendMicros: 0n })
  })

  it('ignores a seed of a month that has ended', () => {
    const clock = createManualClock(Date.UTC(2026, 3, 1, 0, 0, 1))
    const mtd = createMonthToDate(clock)
    expect(mtd.seed('2026-03', [{ scope: 'org:org_1', tokens: 1n, spendMicros: 1n }])).toBe(false)
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 0n, spendMicros: 0n })
  })

  it('turns at the first millisecond of the month, and again when the clock goes back', () => {
    const clock = createManualClock(Date.UTC(2026, 3, 1) - 1)
    const mtd = createMonthToDate(clock)
    mtd.add(caller, { usage, costMicros: 2n })
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 15n, spendMicros: 2n })
    clock.advance(1)
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 0n, spendMicros: 0n })
    mtd.add(caller, { usage, costMicros: 3n })
    // A clock set back (tests, a corrected host clock) lands in another month: counted afresh.
    clock.set(Date.UTC(2026, 2, 15))
    expect(mtd.totals('org:org_1')).toEqual({ tokens: 0n, spendMicros: 0n })
  })
})
