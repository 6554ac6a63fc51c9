import { sql } from 'kysely'
import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { takeWriteLock, type Db } from '../storage/index.js'
import type { BalanceBook } from './balance-book.js'
import type { HoldStrategy } from './balance-holds.js'
import { newLedgerId } from './billing-ids.js'
import { unspentExpiringCredits } from './credit-drawdown.js'
import { draftToRow } from './entry-draft.js'
import {
  findCorrectionsOf,
  insertEntries,
  lockAccountRows,
  rowToEntry,
  updateAccountRow,
  type LedgerEntryRow,
} from './ledger.repository.js'
import type { LedgerEntry } from './ledger-entry.js'
import { minMicros, type Micros } from './money.js'

/**
 * Expiring credits past their time and not yet closed by an expiry or a void, in ledger order.
 * Served by the partial index `ledger_entries_expiring` (migration 0016): only expiring credits
 * are in it, so the job never reads the rest of the ledger.
 */
export function dueCreditsQuery(db: Db, now: string) {
  return db
    .selectFrom('ledger_entries as e')
    .selectAll('e')
    .where('e.kind', 'in', ['credit', 'invoice_application'])
    .where('e.expires_at', 'is not', null)
    .where('e.expires_at', '<=', now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('ledger_entries as c')
            .select(sql`1`.as('one'))
            .whereRef('c.original_entry_id', '=', 'e.entry_id')
            .where('c.kind', 'in', ['credit_expiry', 'void']),
        ),
      ),
    )
    .orderBy('e.account_id')
    .orderBy('e.account_version')
}

/**
 * The credit expiry job (a system actor, like settlement: no admin event): for every expiring
 * credit past its `expires_at` and not yet closed, post a `credit_expiry` entry for what is left
 * of it under the draw-down rule (credit-drawdown.ts), never more than is available (money a
 * hold reserved is left to the request that reserved it). A zero entry closes a spent credit.
 */
export function createCreditExpiry(deps: {
  db: Db
  clock: Clock
  strategy: HoldStrategy
  book: BalanceBook
  /** Hears each expiry entry once it has committed. */
  onPosted?: (entry: LedgerEntry) => void
}) {
  const { db, clock, book } = deps

  const dueCredits = (now: string) => dueCreditsQuery(db, now).execute()

  /** An account's entries in the order they were posted. */
  const accountEntries = async (reader: Db, accountId: string) =>
    (
      await reader
        .selectFrom('ledger_entries')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('account_version')
        .execute()
    ).map(rowToEntry)

  async function expireOne(grant: LedgerEntryRow): Promise<void> {
    let reserved = 0n
    let posted = 0n
    let entry: LedgerEntry | null = null
    try {
      await db.transaction().execute(async (trx) => {
        await takeWriteLock(trx)
        const [account] = await lockAccountRows(trx, [grant.account_id])
        if (!account) return
        if ((await findCorrectionsOf(trx, grant.entry_id)).some((c) => c.kind !== 'refund')) return
        // What is unspent, read under the write lock: every settlement that drew from this
        // grant (the settlement thread writes beside this connection) has committed or waits.
        const unspent =
          unspentExpiringCredits(await accountEntries(trx, grant.account_id)).get(grant.entry_id) ??
          0n
        let amount: Micros
        if (deps.strategy === 'memory') {
          // Take the debit from the book before the commit (as admin debits do), and only what
          // it has available: money a hold reserved stays with its request.
          const state = book.get(grant.account_id)
          const available = state ? state.balanceMicros - state.heldMicros : 0n
          reserved = minMicros(unspent, available > 0n ? available : 0n)
          if (reserved > 0n && !book.tryReserve(grant.account_id, reserved)) reserved = 0n
          amount = reserved
        } else amount = minMicros(unspent, account.balance_micros - account.held_micros)
        const nowMs = clock.nowMs()
        const now = toIsoTimestamp(nowMs)
        const version = account.version + 1n
        const balanceAfter = account.balance_micros - (amount > 0n ? amount : 0n)
        const row = draftToRow(
          {
            kind: 'credit_expiry',
            amountMicros: -(amount > 0n ? amount : 0n),
            counterAccount: grant.counter_account,
            category: grant.category as 'paid' | 'promotional' | null,
            idempotencyKey: `expire:${grant.entry_id}`,
            originalEntryId: grant.entry_id,
            details: { unspentMicros: unspent, expiredAt: grant.expires_at },
          },
          {
            entryId: newLedgerId('le', nowMs),
            accountId: account.account_id,
            organizationId: account.organization_id,
            environment: account.environment,
            balanceAfterMicros: balanceAfter,
            accountVersion: version,
            createdAt: now,
          },
        )
        await updateAccountRow(trx, {
          accountId: account.account_id,
          balanceMicros: balanceAfter,
          heldMicros: account.held_micros,
          version,
          now,
        })
        await insertEntries(trx, [row])
        posted = -row.amount_micros
        entry = rowToEntry(row as LedgerEntryRow)
      })
    } finally {
      if (reserved > 0n) {
        book.unreserve(grant.account_id, reserved)
        if (posted > 0n) book.applyDebit(grant.account_id, posted)
      }
    }
    if (entry !== null) deps.onPosted?.(entry)
  }

  return {
    /** Expire every credit due now; returns how many were closed. */
    expireDue: async (): Promise<number> => {
      const due = await dueCredits(toIsoTimestamp(clock.nowMs()))
      let closed = 0
      // In ledger order (by account, then version): one at a time, each reading what is left.
      for (const grant of due) {
        await expireOne(grant)
        closed += 1
      }
      return closed
    },
  }
}
