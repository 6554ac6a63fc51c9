import { describe, expect, it } from 'vitest'
import { buildInvoice, invoiceCsvLines, isInvoiceMonth, monthPeriod } from './invoice.js'
import type { LedgerEntry } from './ledger-entry.js'

const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  entryId: 'le_x',
  accountId: 'acct_x',
  organizationId: 'org_x',
  environment: 'live',
  kind: 'usage_charge',
  amountMicros: 0n,
  balanceAfterMicros: 0n,
  accountVersion: 1n,
  counterAccount: 'platform:revenue',
  category: null,
  expiresAt: null,
  idempotencyKey: 'k',
  requestId: null,
  adminRequestId: null,
  originalEntryId: null,
  approvalId: null,
  holdId: null,
  holdMicros: null,
  outcome: null,
  settlementRule: null,
  waivedMicros: null,
  uncoveredMicros: null,
  modelServed: null,
  details: null,
  createdAt: '2026-02-01T00:00:00.000Z',
  ...over,
})

describe('invoices', () => {
  it('covers a calendar month in UTC, December included', () => {
    expect(monthPeriod('2026-12')).toEqual({
      from: '2026-12-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
    })
    expect(() => monthPeriod('2026-13')).toThrow(RangeError)
  })

  it('refuses years before 1970, which Date.UTC would read as 1900–1999', () => {
    expect(isInvoiceMonth('0050-01')).toBe(false)
    expect(isInvoiceMonth('1969-12')).toBe(false)
    expect(isInvoiceMonth('1970-01')).toBe(true)
    expect(() => monthPeriod('0050-01')).toThrow(RangeError)
  })

  it('neutralizes a formula in a model name, a leading minus and digit included', () => {
    const invoice = buildInvoice({
      organizationId: 'org_x',
      environment: 'live',
      currency: 'USD',
      month: '2026-02',
      openingBalanceMicros: 10n,
      entries: [
        entry({ amountMicros: -1n, balanceAfterMicros: 9n, modelServed: '-1+HYPERLINK("x")' }),
        entry({ amountMicros: -1n, balanceAfterMicros: 8n, modelServed: '-2+3' }),
      ],
    })
    const csv = invoiceCsvLines(invoice)
    expect(csv).toContain(
      'line,usage_charge,,platform:revenue,"\'-1+HYPERLINK(""x"")",1,-1,-0.000001',
    )
    expect(csv).toContain("line,usage_charge,,platform:revenue,'-2+3,1,-1,-0.000001")
    // Amounts Ferry wrote itself stay numbers.
    expect(csv.at(-1)).toBe('closing_balance,,,,,,8,0.000008')
  })

  it('groups entries into lines that sum exactly to closing − opening', () => {
    const invoice = buildInvoice({
      organizationId: 'org_x',
      environment: 'live',
      currency: 'USD',
      month: '2026-02',
      openingBalanceMicros: 1_000n,
      entries: [
        entry({ amountMicros: -3n, balanceAfterMicros: 997n, modelServed: 'a' }),
        entry({ amountMicros: -5n, balanceAfterMicros: 992n, modelServed: 'a' }),
        entry({ amountMicros: -7n, balanceAfterMicros: 985n, modelServed: 'b' }),
        entry({
          kind: 'credit',
          category: 'paid',
          counterAccount: 'platform:funding',
          amountMicros: 100n,
          balanceAfterMicros: 1_085n,
        }),
      ],
    })
    expect(invoice.closingBalanceMicros).toBe(1_085n)
    expect(invoice.totalMicros).toBe(85n)
    expect(invoice.lines.find((l) => l.modelServed === 'a')).toMatchObject({
      entries: 2,
      amountMicros: -8n,
    })
    const csv = invoiceCsvLines(invoice)
    expect(csv[0]).toBe(
      'type,kind,category,counter_account,model_served,entries,amount_micros,amount',
    )
    expect(csv[1]).toBe('opening_balance,,,,,,1000,0.001000')
    expect(csv.at(-1)).toBe('closing_balance,,,,,,1085,0.001085')
  })

  it('refuses entries that do not chain from the opening balance', () => {
    expect(() =>
      buildInvoice({
        organizationId: 'org_x',
        environment: 'live',
        currency: 'USD',
        month: '2026-02',
        openingBalanceMicros: 0n,
        entries: [entry({ amountMicros: 5n, balanceAfterMicros: 6n })],
      }),
    ).toThrow(/does not reconcile/)
  })
})
