import { describe, expect, it } from 'vitest'
import { unspentExpiringCredits } from './credit-drawdown.js'
import type { LedgerEntry } from './ledger-entry.js'

let version = 0n
const e = (over: Partial<LedgerEntry>): LedgerEntry =>
  ({
    entryId: `le_${(version += 1n)}`,
    accountVersion: version,
    kind: 'usage_charge',
    amountMicros: 0n,
    category: null,
    expiresAt: null,
    originalEntryId: null,
    ...over,
  }) as LedgerEntry

describe('unspentExpiringCredits', () => {
  it('spends expiring credit first, soonest expiry and promotional first, base credit last', () => {
    const base = e({ kind: 'credit', amountMicros: 100n, category: 'paid' })
    const late = e({ kind: 'credit', amountMicros: 50n, category: 'paid', expiresAt: '2026-06-01' })
    const soonPaid = e({
      kind: 'credit',
      amountMicros: 30n,
      category: 'paid',
      expiresAt: '2026-03-01',
    })
    const soonPromo = e({
      kind: 'credit',
      amountMicros: 20n,
      category: 'promotional',
      expiresAt: '2026-03-01',
    })
    const left = unspentExpiringCredits([
      base,
      late,
      soonPaid,
      soonPromo,
      e({ amountMicros: -35n }),
    ])
    expect(left.get(soonPromo.entryId)).toBe(0n)
    expect(left.get(soonPaid.entryId)).toBe(15n)
    expect(left.get(late.entryId)).toBe(50n)
    expect(left.has(base.entryId)).toBe(false)
  })

  it('closes a credit at its expiry or void; refunds join credit without expiry', () => {
    const grant = e({
      kind: 'credit',
      amountMicros: 40n,
      category: 'promotional',
      expiresAt: '2026-03-01',
    })
    const other = e({
      kind: 'credit',
      amountMicros: 40n,
      category: 'paid',
      expiresAt: '2026-04-01',
    })
    const entries = [
      grant,
      other,
      e({ amountMicros: -10n }),
      e({ kind: 'refund', amountMicros: 10n }),
      e({ kind: 'credit_expiry', amountMicros: -30n, originalEntryId: grant.entryId }),
      e({ amountMicros: -5n }),
    ]
    const left = unspentExpiringCredits(entries)
    expect(left.has(grant.entryId)).toBe(false)
    expect(left.get(other.entryId)).toBe(35n)
  })
})
