import { describe, expect, it } from 'vitest'
import { newId } from '../lib/ids.js'
import { newLedgerId } from './billing-ids.js'

describe('newLedgerId', () => {
  it("has newId's shape and time order, and does not repeat", () => {
    const a = newLedgerId('le', 1_700_000_000_000)
    expect(a).toMatch(/^le_[0-9a-z]{26}$/)
    // 48 time bits fill the first 9 characters after the prefix; the 10th mixes in random bits.
    expect(a.slice(0, 12)).toBe(newId('le', 1_700_000_000_000).slice(0, 12))
    expect(newLedgerId('le', 1_700_000_000_001) > a).toBe(true)
    const many = new Set(Array.from({ length: 5000 }, () => newLedgerId('le', 1)))
    expect(many.size).toBe(5000)
  })

  it('only increases within a thread: in one millisecond, and when the clock steps back', () => {
    const ids = [
      newLedgerId('le', 1_800_000_000_000),
      ...Array.from({ length: 1000 }, () => newLedgerId('le', 1_800_000_000_000)),
      newLedgerId('le', 1_799_999_999_000),
      newLedgerId('le', 1_800_000_000_000),
    ]
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true)
    // A later millisecond starts from fresh random bits, still above.
    const later = newLedgerId('le', 1_800_000_000_001)
    expect(later > ids.at(-1)!).toBe(true)
    expect(later.slice(0, 12)).toBe(newId('le', 1_800_000_000_001).slice(0, 12))
  })
})
