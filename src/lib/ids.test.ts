import { describe, expect, it } from 'vitest'
import { isWellFormedRequestId, newId, newRequestId } from './ids.js'

describe('ids', () => {
  it('makes prefixed ids that sort by time', () => {
    const a = newId('org', 1_700_000_000_000)
    const b = newId('org', 1_700_000_000_001)
    expect(a).toMatch(/^org_[0-9a-z]{26}$/)
    expect(a < b).toBe(true)
  })

  it('makes OpenAI-like request ids and accepts only plain client ids', () => {
    expect(newRequestId()).toMatch(/^req_[0-9a-f]{32}$/)
    // Time first (index-friendly), then 80 random bits: later sorts after, same instant differs.
    expect(newRequestId(1_700_000_000_000) < newRequestId(1_700_000_000_001)).toBe(true)
    expect(newRequestId(1_700_000_000_000).slice(0, 16)).toBe(
      `req_${(1_700_000_000_000).toString(16).padStart(12, '0')}`,
    )
    const sameInstant = new Set(Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_000)))
    expect(sameInstant.size).toBe(1000)
    expect(isWellFormedRequestId('my-trace.123:abc_DEF')).toBe(true)
    for (const bad of ['', 'a b', 'x\r\ninjected: 1', 'é', 'a'.repeat(129), '-leading']) {
      expect(isWellFormedRequestId(bad)).toBe(false)
    }
  })
})
