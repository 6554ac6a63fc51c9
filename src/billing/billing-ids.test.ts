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
})
