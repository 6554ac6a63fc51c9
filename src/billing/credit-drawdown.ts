import { GRANT_CLOSING_KINDS, GRANT_KINDS, type LedgerEntry } from './ledger-entry.js'
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

/** A draw-down replay fed an account's entries one at a time, in account order. */
export interface DrawDownReplay {
  apply(entry: LedgerEntry): void
  /** What is left of each expiring credit not closed (by its expiry entry or a void) so far. */
  unspent(): Map<string, Micros>
}

/**
 * Replays an account's entries under the one draw-down rule: spending takes from expiring
 * credits first (soonest expiry first, promotional before paid, oldest first) and from credit
 * without expiry last; money coming back (refunds, credits without expiry) joins the credit
 * without expiry. Fed in pieces (credit-expiry.ts reads most of the ledger outside the write
 * lock and only the newest entries under it): the same entries in the same order give the
 * same answer however they were split.
 */
export function createDrawDownReplay(): DrawDownReplay {
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
  return {
    apply: (entry) => {
      if (isExpiringGrant(entry)) {
        open.push({
          entryId: entry.entryId,
          expiresAt: entry.expiresAt!,
          promotional: entry.category === 'promotional',
          version: entry.accountVersion,
          remaining: entry.amountMicros,
        })
        return
      }
      const closes = open.find((g) => g.entryId === entry.originalEntryId)
      if (closes && closesGrant(entry)) {
        const debit = -entry.amountMicros
        const rest = debit - take(closes, debit)
        open = open.filter((g) => g !== closes)
        if (rest > 0n) drawDown(rest)
        return
      }
      if (entry.amountMicros < 0n) drawDown(-entry.amountMicros)
    },
    unspent: () => new Map(open.map((g) => [g.entryId, g.remaining])),
  }
}

/** A credit (or invoice application) with an expiry: a grant the draw-down rule tracks. */
export function isExpiringGrant(
  entry: Pick<LedgerEntry, 'kind' | 'expiresAt' | 'amountMicros'>,
): boolean {
  return (
    (GRANT_KINDS as readonly string[]).includes(entry.kind) &&
    entry.expiresAt !== null &&
    entry.amountMicros > 0n
  )
}

/** Whether the entry closes a grant (GRANT_CLOSING_KINDS). */
export function closesGrant(entry: Pick<LedgerEntry, 'kind'>): boolean {
  return (GRANT_CLOSING_KINDS as readonly string[]).includes(entry.kind)
}

/**
 * The account version a replay may start at with nothing open and still get what is left of
 * every grant not yet closed: the earliest grant still open at that point. Entries before it
 * only ever drew on grants that closed before it, so they cannot change what is left of any
 * later one. `grants`: every expiring grant of the account, each with the version of the entry
 * that closed it (null: not closed).
 * @example replayStart([{ version: 3n, closedAt: 9n }, { version: 7n, closedAt: null }]) // 3n
 */
export function replayStart(
  grants: readonly { version: bigint; closedAt: bigint | null }[],
): bigint | null {
  let start: bigint | null = null
  for (const g of grants)
    if (g.closedAt === null && (start === null || g.version < start)) start = g.version
  if (start === null) return null
  // A grant before `start` still open at `start` shares the draw-downs after it: start there.
  for (;;) {
    let earlier: bigint | null = null
    for (const g of grants)
      if (g.version < start && (g.closedAt === null || g.closedAt > start))
        if (earlier === null || g.version < earlier) earlier = g.version
    if (earlier === null) return start
    start = earlier
  }
}
