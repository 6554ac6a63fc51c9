import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { newLedgerId } from './billing-ids.js'
import { runCommittedTransaction, takeWriteLock, type Db } from '../storage/index.js'
import { draftToRow, type EntryDraft } from './entry-draft.js'
import { createGroupCommit, type CommittedBatch, type GroupCommit } from './group-commit.js'
import {
  insertEntries,
  lockAccountRows,
  resolveOpenHolds,
  rowToEntry,
  updateAccountRow,
  type LedgerEntryRow,
} from './ledger.repository.js'
import type { LedgerEntry } from './ledger-entry.js'
import { minMicros, type Micros } from './money.js'
import {
  draftToUsageRow,
  insertUsageEvents,
  type UsageDraft,
  type UsageEventsTable,
} from '../usage/index.js'

/** One settlement to post: a usage charge (or a zero-sum waiver) and the release of its hold. */
export interface SettlementItem {
  accountId: string
  /** Database strategy: the stored hold this settlement resolves (at most once). */
  storedHoldId: string | null
  /**
   * What to charge. With in-process holds it was decided (and capped) against the balance book
   * already; with stored holds it is capped here, in the transaction, at hold + available.
   */
  chargeMicros: Micros
  capToAvailable: boolean
  /** The entry; its amount, hold and uncovered fields are set when it posts. */
  draft: EntryDraft
}

/**
 * What one request writes when it ends: its settlement (when something was held), its usage
 * event (when the request path recorded one), or both — then in one transaction, so a charge
 * never exists without its usage event, nor a usage event of a settled request without its charge.
 */
export interface RequestRecord {
  settlement: SettlementItem | null
  usage: UsageDraft | null
  /**
   * A monthly cap reservation (src/budgets) this record ends: handed to `onUsageRows` in the
   * same transaction, which releases it as the usage it reserved for is counted.
   */
  capReservationId?: string | null
}

export type SettlementWriter = GroupCommit<RequestRecord, LedgerEntry | null>

/**
 * Hears the usage rows of a batch inside its transaction (the webhook outbox enqueues them; the
 * shared monthly totals count them and release `capReservationIds`, the reservations they end).
 */
export type UsageRowsHook = (
  trx: Db,
  rows: readonly UsageEventsTable[],
  capReservationIds: readonly string[],
) => Promise<void>

export interface SettlementWriterDeps {
  db: Db
  clock: Clock
  maxBatch?: number
  maxDelayMs?: number
  onUsageRows?: UsageRowsHook
}

/**
 * Settlements and usage events are committed in small groups (one transaction per batch) and
 * each `submit` resolves only once its rows are durable: the response's last byte can wait for
 * it. Account rows are locked in id order, so concurrent batches (several instances) never
 * deadlock.
 */
export function createSettlementWriter(deps: SettlementWriterDeps): SettlementWriter {
  return createGroupCommit<RequestRecord, LedgerEntry | null>({
    ...(deps.maxBatch !== undefined ? { maxBatch: deps.maxBatch } : {}),
    ...(deps.maxDelayMs !== undefined ? { maxDelayMs: deps.maxDelayMs } : {}),
    commit: (items) => commitRecords(deps, items),
  })
}

/**
 * Write one batch in one transaction: the group commit's work, on the event loop or on the
 * settlement thread (settlement-thread.ts), which runs this same function.
 */
export async function commitRecords(
  deps: Pick<SettlementWriterDeps, 'db' | 'clock' | 'onUsageRows'>,
  records: readonly RequestRecord[],
): Promise<CommittedBatch<LedgerEntry | null>> {
  // Acknowledged only once durable, without freezing the event loop for the flush (SQLite),
  // and the next batch's transaction may run while this one's flush does.
  const { result, durable } = await runCommittedTransaction(deps.db, async (trx) => {
    await takeWriteLock(trx)
    // Read under the write lock: entries are stamped in the order they commit.
    const nowMs = deps.clock.nowMs()
    const now = toIsoTimestamp(nowMs)
    const items = records.flatMap((r) => (r.settlement ? [r.settlement] : []))
    const entries = items.length > 0 ? await postSettlements(trx, { items, nowMs, now }) : []
    const results: (LedgerEntry | null)[] = []
    const usageRows: UsageEventsTable[] = []
    let next = 0
    for (const record of records) {
      const entry = record.settlement ? entries[next++]! : null
      results.push(entry)
      if (record.usage === null) continue
      usageRows.push(
        draftToUsageRow(record.usage, {
          usageId: newLedgerId('use', nowMs),
          // The entry's own instant: a period's usage and its ledger lines are the same set.
          createdAt: entry?.createdAt ?? now,
          costMicros: entry !== null && entry.amountMicros < 0n ? -entry.amountMicros : 0n,
          waivedMicros: entry?.waivedMicros ?? 0n,
          ledgerEntryId: entry?.entryId ?? null,
          settlementRule: entry?.settlementRule ?? null,
        }),
      )
    }
    await insertUsageEvents(trx, usageRows)
    const capReservationIds = records.flatMap((r) =>
      r.capReservationId ? [r.capReservationId] : [],
    )
    if ((usageRows.length > 0 || capReservationIds.length > 0) && deps.onUsageRows)
      await deps.onUsageRows(trx, usageRows, capReservationIds)
    return results
  })
  return { results: result, durable }
}

/** Post a batch's settlements inside its transaction; one entry per item, in order. */
async function postSettlements(
  trx: Db,
  batch: { items: readonly SettlementItem[]; nowMs: number; now: string },
): Promise<LedgerEntry[]> {
  const { items, nowMs, now } = batch
  const accounts = new Map(
    (
      await lockAccountRows(
        trx,
        items.map((i) => i.accountId),
      )
    ).map((row) => [
      row.account_id,
      { row, balance: row.balance_micros, held: row.held_micros, version: row.version },
    ]),
  )
  const storedHoldIds = items.flatMap((i) => (i.storedHoldId ? [i.storedHoldId] : []))
  const resolved = new Map(
    (await resolveOpenHolds(trx, { holdIds: storedHoldIds, status: 'settled', now })).map((h) => [
      h.hold_id,
      h.amount_micros,
    ]),
  )
  const rows: LedgerEntryRow[] = []
  for (const item of items) {
    const account = accounts.get(item.accountId)
    if (!account) throw new Error(`settlement for unknown account ${item.accountId}`)
    // A stored hold that the reaper already expired releases nothing: the charge is then
    // taken from what is available, never from money that is not there.
    const released = item.storedHoldId ? (resolved.get(item.storedHoldId) ?? 0n) : 0n
    account.held -= released
    const available = account.balance - account.held
    const charge = item.capToAvailable
      ? minMicros(item.chargeMicros, available > 0n ? available : 0n)
      : item.chargeMicros
    const uncovered = (item.draft.uncoveredMicros ?? 0n) + (item.chargeMicros - charge)
    const isWaiver = item.draft.kind === 'usage_waiver'
    account.balance -= isWaiver ? 0n : charge
    account.version += 1n
    const row = draftToRow(
      {
        ...item.draft,
        amountMicros: isWaiver ? 0n : -charge,
        holdMicros: item.storedHoldId ? released : (item.draft.holdMicros ?? null),
        uncoveredMicros: uncovered > 0n ? uncovered : null,
      },
      {
        entryId: newLedgerId('le', nowMs),
        accountId: item.accountId,
        organizationId: account.row.organization_id,
        environment: account.row.environment,
        balanceAfterMicros: account.balance,
        accountVersion: account.version,
        createdAt: now,
      },
    )
    rows.push(row as LedgerEntryRow)
  }
  for (const [accountId, account] of accounts)
    await updateAccountRow(trx, {
      accountId,
      balanceMicros: account.balance,
      heldMicros: account.held,
      version: account.version,
      now,
    })
  await insertEntries(trx, rows)
  return rows.map(rowToEntry)
}
