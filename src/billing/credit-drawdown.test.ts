import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  closesGrant,
  createDrawDownReplay,
  isExpiringGrant,
  replayStart,
} from './credit-drawdown.js'
import type { LedgerEntry } from './ledger-entry.js'
import type { Micros } from './money.js'

/** What is left of each open expiring credit after a whole account's entries, in one replay. */
function unspentExpiringCredits(entries: readonly LedgerEntry[]): Map<string, Micros> {
  const replay = createDrawDownReplay()
  for (const entry of entries) replay.apply(entry)
  return replay.unspent()
}

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

describe('replayStart', () => {
  it('starts at the earliest open grant, or earlier at a grant still open then', () => {
    expect(replayStart([])).toBeNull()
    expect(replayStart([{ version: 2n, closedAt: 5n }])).toBeNull()
    expect(
      replayStart([
        { version: 2n, closedAt: 5n },
        { version: 7n, closedAt: null },
      ]),
    ).toBe(7n)
    // 3 is open at 7 (closed at 9), and 1 is open at 3 (closed at 4): start at 1.
    expect(
      replayStart([
        { version: 1n, closedAt: 4n },
        { version: 3n, closedAt: 9n },
        { version: 7n, closedAt: null },
      ]),
    ).toBe(1n)
  })

  // Random ledgers: grants, spending, refunds, expiries and voids of grants in any order.
  const step = fc.oneof(
    fc.record({
      op: fc.constant('grant' as const),
      amount: fc.bigInt({ min: 1n, max: 500n }),
      day: fc.integer({ min: 1, max: 9 }),
      promotional: fc.boolean(),
    }),
    fc.record({ op: fc.constant('spend' as const), amount: fc.bigInt({ min: 1n, max: 400n }) }),
    fc.record({ op: fc.constant('refund' as const), amount: fc.bigInt({ min: 1n, max: 100n }) }),
    fc.record({ op: fc.constant('close' as const), pick: fc.nat(), voided: fc.boolean() }),
  )

  it('gives every grant open at the start, split into any pieces, what a full replay gives', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.nat(), (steps, cut) => {
        let v = 0n
        const entries: LedgerEntry[] = []
        const open: LedgerEntry[] = []
        for (const s of steps) {
          v += 1n
          const base = { entryId: `le_${v}`, accountVersion: v, category: null, expiresAt: null }
          if (s.op === 'grant') {
            const grant = {
              ...base,
              kind: 'credit',
              amountMicros: s.amount,
              category: s.promotional ? 'promotional' : 'paid',
              expiresAt: `2026-03-0${s.day}`,
              originalEntryId: null,
            } as LedgerEntry
            entries.push(grant)
            open.push(grant)
          } else if (s.op === 'close' && open.length > 0) {
            const [grant] = open.splice(s.pick % open.length, 1)
            entries.push({
              ...base,
              kind: s.voided ? 'void' : 'credit_expiry',
              amountMicros: -BigInt(s.pick % 50),
              originalEntryId: grant!.entryId,
            } as unknown as LedgerEntry)
          } else if (s.op !== 'close') {
            entries.push({
              ...base,
              kind: s.op === 'spend' ? 'usage_charge' : 'refund',
              amountMicros: s.op === 'spend' ? -s.amount : s.amount,
              originalEntryId: null,
            } as LedgerEntry)
          }
        }
        const full = unspentExpiringCredits(entries)
        const grants = entries.filter(isExpiringGrant).map((g) => ({
          version: g.accountVersion,
          closedAt:
            entries.find((c) => c.originalEntryId === g.entryId && closesGrant(c))
              ?.accountVersion ?? null,
        }))
        const start = replayStart(grants)
        if (start === null) {
          expect(full.size).toBe(0)
          return
        }
        const from = entries.filter((x) => x.accountVersion >= start)
        const replay = createDrawDownReplay()
        const at = from.length === 0 ? 0 : cut % (from.length + 1)
        for (const x of from.slice(0, at)) replay.apply(x)
        for (const x of from.slice(at)) replay.apply(x)
        expect(replay.unspent()).toEqual(full)
      }),
      { numRuns: 500 },
    )
  })
})
