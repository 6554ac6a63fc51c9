import { csvCell } from '../usage/usage-csv.js'
import type { LedgerEntry } from './ledger-entry.js'
import { formatDecimalAmount, sumMicros, type Micros } from './money.js'

/**
 * `YYYY-MM` from 1970-01: no ledger entry is older, and `Date.UTC` would read the years 0–99 as
 * 1900–1999, labelling one month with another's period.
 */
export const INVOICE_MONTH = /^(19[7-9]\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/

/** Whether `month` is `YYYY-MM`, 1970-01 or later. */
export function isInvoiceMonth(month: string): boolean {
  return INVOICE_MONTH.test(month)
}

/** [start, end) of a `YYYY-MM` month in UTC, as ISO timestamps (the ledger's text order). */
export function monthPeriod(month: string): { from: string; to: string } {
  const match = INVOICE_MONTH.exec(month)
  if (!match) throw new RangeError(`not a YYYY-MM month: ${month}`)
  const year = Number(match[1])
  const index = Number(match[2]) - 1
  return {
    from: new Date(Date.UTC(year, index, 1)).toISOString(),
    to: new Date(Date.UTC(year, index + 1, 1)).toISOString(),
  }
}

/** One invoice line: the entries of one kind (and category, counter account, model) summed. */
export interface InvoiceLine {
  kind: string
  category: string | null
  counterAccount: string
  modelServed: string | null
  entries: number
  amountMicros: Micros
}

export interface Invoice {
  object: 'invoice'
  organizationId: string
  environment: string
  currency: string
  month: string
  periodStart: string
  periodEnd: string
  openingBalanceMicros: Micros
  closingBalanceMicros: Micros
  /** Σ of the lines = closing − opening, to the micro. */
  totalMicros: Micros
  entries: number
  lines: InvoiceLine[]
}

/**
 * Build a month's invoice from the account's entries in that month (in account order) and the
 * balance before it. Lines group entries exactly, with no rounding: opening + Σ lines = closing.
 */
export function buildInvoice(input: {
  organizationId: string
  environment: string
  currency: string
  month: string
  openingBalanceMicros: Micros
  entries: readonly LedgerEntry[]
}): Invoice {
  const { from, to } = monthPeriod(input.month)
  const lines = new Map<string, InvoiceLine>()
  for (const entry of input.entries) {
    const key = JSON.stringify([
      entry.kind,
      entry.category,
      entry.counterAccount,
      entry.modelServed,
    ])
    const line = lines.get(key) ?? {
      kind: entry.kind,
      category: entry.category,
      counterAccount: entry.counterAccount,
      modelServed: entry.modelServed,
      entries: 0,
      amountMicros: 0n,
    }
    line.entries += 1
    line.amountMicros += entry.amountMicros
    lines.set(key, line)
  }
  const sorted = [...lines.values()].sort((a, b) =>
    JSON.stringify([a.kind, a.category, a.counterAccount, a.modelServed]).localeCompare(
      JSON.stringify([b.kind, b.category, b.counterAccount, b.modelServed]),
    ),
  )
  const last = input.entries[input.entries.length - 1]
  const closing = last ? last.balanceAfterMicros : input.openingBalanceMicros
  const total = sumMicros(sorted.map((l) => l.amountMicros))
  if (input.openingBalanceMicros + total !== closing)
    throw new Error(
      `invoice does not reconcile: ${input.openingBalanceMicros} + ${total} ≠ ${closing}`,
    )
  return {
    object: 'invoice',
    organizationId: input.organizationId,
    environment: input.environment,
    currency: input.currency,
    month: input.month,
    periodStart: from,
    periodEnd: to,
    openingBalanceMicros: input.openingBalanceMicros,
    closingBalanceMicros: closing,
    totalMicros: total,
    entries: input.entries.length,
    lines: sorted,
  }
}

export const INVOICE_CSV_HEADER =
  'type,kind,category,counter_account,model_served,entries,amount_micros,amount'

/**
 * The invoice as CSV lines (header first): the opening balance, one row per line, the closing
 * balance. The `line` rows' amount_micros sum to closing − opening exactly.
 */
export function invoiceCsvLines(invoice: Invoice): string[] {
  const row = (cells: readonly (string | number | null)[]) => cells.map(csvCell).join(',')
  return [
    INVOICE_CSV_HEADER,
    row([
      'opening_balance',
      '',
      '',
      '',
      '',
      '',
      invoice.openingBalanceMicros.toString(),
      formatDecimalAmount(invoice.openingBalanceMicros),
    ]),
    ...invoice.lines.map((l) =>
      row([
        'line',
        l.kind,
        l.category,
        l.counterAccount,
        l.modelServed,
        l.entries,
        l.amountMicros.toString(),
        formatDecimalAmount(l.amountMicros),
      ]),
    ),
    row([
      'closing_balance',
      '',
      '',
      '',
      '',
      '',
      invoice.closingBalanceMicros.toString(),
      formatDecimalAmount(invoice.closingBalanceMicros),
    ]),
  ]
}
