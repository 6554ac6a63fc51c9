import type { LedgerEntry } from './ledger-entry.js'
import type { Micros } from './money.js'

interface Grant {
  entryId: string
  expiresAt: string
  promotional: boolean
  version: bigint
  remaining: Micros
}

/** Draw-down order: soonest expiry first, promotional before paid, then oldest first. */
function compareGrants(a: Grant, b: Grant): number {
  if (a.expiresAt !== b.expiresAt) return a.expiresAt < b.expiresAt ? -1 : 1
  if (a.promotional !== b.promotional) return a.promotional ? -1 : 1
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0
}

/**
 * What is left of each expiring credit that has not been closed (by its expiry entry or a void),
 * replaying an account's entries in account order under the one draw-down rule: spending takes
 * from expiring credits first (soonest expiry first, promotional before paid, oldest first) and
 * from credit without expiry last; money coming back (refunds, credits without expiry) joins the
 * credit without expiry. Pure: same entries, same answer.
 */
export function unspentExpiringCredits(entries: readonly LedgerEntry[]): Map<string, Micros> {
  let open: Grant[] = []
  const take = (grant: Grant, wanted: Micros): Micros => {
    const taken = wanted < grant.remaining ? wanted : grant.remaining
    grant.remaining -= taken
    return taken
  }
  const drawDown = (amount: Micros) => {
    let left = amount
    for (const grant of [...open].sort(compareGrants)) {
      if (left === 0n) break
      left -= take(grant, left)
    }
    // What the expiring credits did not cover came from credit without expiry.
  }
  for (const entry of entries) {
    const isGrant =
      (entry.kind === 'credit' || entry.kind === 'invoice_application') &&
      entry.expiresAt !== null &&
      entry.amountMicros > 0n
    if (isGrant) {
      open.push({
        entryId: entry.entryId,
        expiresAt: entry.expiresAt!,
        promotional: entry.category === 'promotional',
        version: entry.accountVersion,
        remaining: entry.amountMicros,
      })
      continue
    }
    const closes = open.find((g) => g.entryId === entry.originalEntryId)
    if (closes && (entry.kind === 'credit_expiry' || entry.kind === 'void')) {
      const debit = -entry.amountMicros
      const rest = debit - take(closes, debit)
      open = open.filter((g) => g !== closes)
      if (rest > 0n) drawDown(rest)
      continue
    }
    if (entry.amountMicros < 0n) drawDown(-entry.amountMicros)
  }
  return new Map(open.map((g) => [g.entryId, g.remaining]))
}
