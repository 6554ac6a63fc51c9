import { sql } from 'kysely'
import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import type { AuditContext, AuditLog } from '../audit/index.js'
import type { Db } from '../storage/index.js'
import type { BalanceBook } from './balance-book.js'
import type { HoldStrategy } from './balance-holds.js'
import { newLedgerId } from './billing-ids.js'
import { createDrawDownReplay, replayStart, type DrawDownReplay } from './credit-drawdown.js'
import { draftToRow } from './entry-draft.js'
import {
  findAccountEntriesFrom,
  findAccountGrants,
  findCorrectionsOf,
  insertEntries,
  lockAccountRows,
  rowToEntry,
  updateAccountRow,
  type LedgerEntryRow,
} from './ledger.repository.js'
import { GRANT_CLOSING_KINDS, GRANT_KINDS, entryDiff, type LedgerEntry } from './ledger-entry.js'
import { minMicros, type Micros } from './money.js'

/** Entries read per query while replaying an account's ledger. */
const REPLAY_PAGE = 2_000

/**
 * Expiring credits past their time and not yet closed by an expiry or a void, in ledger order.
 * Served by the partial index `ledger_entries_expiring` (migration 0016; only entries with an
 * expiry are in it) and, for the closing entries, `ledger_entries_original`: finding what is due
 * reads no usage charge. Working out what is left of each one does (expireOne's replay).
 */
export function dueCreditsQuery(db: Db, now: string) {
  return db
    .selectFrom('ledger_entries as e')
    .selectAll('e')
    .where('e.kind', 'in', GRANT_KINDS)
    .where('e.expires_at', 'is not', null)
    .where('e.expires_at', '<=', now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('ledger_entries as c')
            .select(sql`1`.as('one'))
            .whereRef('c.original_entry_id', '=', 'e.entry_id')
            .where('c.kind', 'in', GRANT_CLOSING_KINDS),
        ),
      ),
    )
    .orderBy('e.account_id')
    .orderBy('e.account_version')
}

/** The credit expiry job's audit identity (DESIGN: system actors name the job). */
export const CREDIT_EXPIRY_ACTOR_ID = 'system:billing:credit_expiry'
const EXPIRY_CONTEXT: AuditContext = {
  actor: { type: 'system', id: CREDIT_EXPIRY_ACTOR_ID, role: null },
  ip: null,
  userAgent: null,
  requestId: null,
}

/** Rolls an expiry's transaction (and its audit event) back when there is nothing to post. */
class NothingToExpire extends Error {}

/**
 * The credit expiry job (a system actor): for every expiring credit past its `expires_at` and
 * not yet closed, post a `credit_expiry` entry for what is left of it under the draw-down rule
 * (credit-drawdown.ts), never more than is available (money a hold reserved is left to the
 * request that reserved it), with its `billing.credit_expiry` audit event in the same
 * transaction: the entry has no customer request, so the event is what caused it. A zero entry
 * closes a spent credit.
 */
export function createCreditExpiry(deps: {
  db: Db
  auditLog: AuditLog
  clock: Clock
  strategy: HoldStrategy
  book: BalanceBook
  /** Hears each expiry entry once it has committed. */
  onPosted?: (entry: LedgerEntry) => void
}) {
  const { db, clock, book } = deps

  const dueCredits = (now: string) => dueCreditsQuery(db, now).execute()

  /** Feed the replay the account's entries from `from.version` to the end; the next version. */
  async function replayFrom(
    reader: Db,
    replay: DrawDownReplay,
    from: { accountId: string; version: bigint },
  ): Promise<bigint> {
    let next = from.version
    for (;;) {
      const page = await findAccountEntriesFrom(reader, {
        accountId: from.accountId,
        fromVersion: next,
        limit: REPLAY_PAGE,
      })
      for (const row of page) replay.apply(rowToEntry(row))
      if (page.length > 0) next = page.at(-1)!.account_version + 1n
      if (page.length < REPLAY_PAGE) return next
    }
  }

  async function expireOne(grant: LedgerEntryRow): Promise<void> {
    // Most of the replay runs before the transaction, a page at a time: entries never change
    // and versions only grow, so what was read stays true, and the write lock (which every
    // settlement waits for) is held only for the entries posted since. It starts at the
    // earliest grant still open then, not at the account's first entry.
    const replay = createDrawDownReplay()
    const start =
      replayStart(await findAccountGrants(db, grant.account_id)) ?? grant.account_version
    const readUpTo = await replayFrom(db, replay, { accountId: grant.account_id, version: start })
    let reserved = 0n
    let posted = 0n
    let entry: LedgerEntry | null = null
    try {
      const posting = await deps.auditLog.run(
        EXPIRY_CONTEXT,
        'billing.credit_expiry',
        async (trx) => {
          const [account] = await lockAccountRows(trx, [grant.account_id])
          if (!account) throw new NothingToExpire()
          // Closed meanwhile (voided, or expired by another instance): nothing to post.
          if ((await findCorrectionsOf(trx, grant.entry_id)).some((c) => c.kind !== 'refund'))
            throw new NothingToExpire()
          // The rest of what is unspent, read under the write lock: every settlement that drew
          // from this grant (the settlement thread writes beside this connection) has committed
          // or waits.
          await replayFrom(trx, replay, { accountId: grant.account_id, version: readUpTo })
          const unspent = replay.unspent().get(grant.entry_id) ?? 0n
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
          // Never below zero: with stored holds, what is free may be less than nothing.
          const lapsed = amount > 0n ? amount : 0n
          const balanceAfter = account.balance_micros - lapsed
          const row = draftToRow(
            {
              kind: 'credit_expiry',
              amountMicros: -lapsed,
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
          const posting = rowToEntry(row as LedgerEntryRow)
          return {
            result: posting,
            event: {
              organizationId: account.organization_id,
              target: { type: 'ledger_entry', id: posting.entryId, label: posting.kind },
              before: { balanceAfterMicros: account.balance_micros },
              after: { ...entryDiff(posting), currency: account.currency },
              evidence: {
                entryId: posting.entryId,
                idempotencyKey: posting.idempotencyKey,
                originalEntryId: grant.entry_id,
                unspentMicros: unspent,
              },
            },
          }
        },
      )
      // Only once it committed: the book takes the debit below, and listeners hear of it.
      posted = -posting.amountMicros
      entry = posting
    } catch (err) {
      if (!(err instanceof NothingToExpire)) throw err
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
