import type { AuditLog } from '../audit/index.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import { createBalanceBook } from './balance-book.js'
import { createBalanceHolds, type BalanceHolds, type HoldStrategy } from './balance-holds.js'
import { findAccountRows, resolveOpenHolds, unreserveOnAccount } from './ledger.repository.js'
import { createLedgerService, type LedgerService } from './ledger.service.js'
import { createCreditExpiry } from './credit-expiry.js'
import type { Micros } from './money.js'
import type { LedgerEntry } from './ledger-entry.js'
import { commitRecords, createSettlementWriter, type UsageRowsHook } from './settlement-writer.js'
import { startSettlementThread, type SettlementThreadOptions } from './settlement-thread.js'
import type { UsageDraft } from '../usage/index.js'
import { takeWriteLock } from '../storage/index.js'
import { toIsoTimestamp } from '../lib/clock.js'

/** The `billing` slice of the config. */
export interface BillingSettings {
  /** ISO 4217 code of the deployment's one currency. @default 'USD' */
  currency: string
  /** @default 'memory' */
  holds: HoldStrategy
  /** How long a hold lives unless the request path says otherwise. @default 600000 (10 min) */
  holdTtlMs: number
  /** Output tokens held per choice when a request sets no limit (a stream extends it). @default 4096 */
  holdWindowTokens: number
  /** How often expired holds are released. @default 30000 */
  holdReaperIntervalMs: number
  /** Above this, credits, refunds and adjustments need a second admin. @default 1_000_000_000n */
  approvalThresholdMicros: Micros
  /**
   * Group commit: the first settlement after the writer was idle waits this long for others to
   * share its transaction (0: the next event-loop turn); under load batches gather while one
   * commits. @default 0
   */
  settlementBatchDelayMs: number
  /** @default 256 */
  settlementBatchMax: number
  /**
   * Write settlement batches on a thread of their own (settlement-thread.ts) where the caller
   * offers one (`ferry start` on a SQLite file with memory holds). @default true
   */
  settlementThread: boolean
}

export const DEFAULT_BILLING_SETTINGS: BillingSettings = {
  currency: 'USD',
  holds: 'memory',
  holdTtlMs: 10 * 60_000,
  holdWindowTokens: 4096,
  holdReaperIntervalMs: 30_000,
  approvalThresholdMicros: 1_000_000_000n,
  settlementBatchDelayMs: 0,
  settlementBatchMax: 256,
  settlementThread: true,
}

/** The config file's shape of the slice (the threshold is a JSON number there). */
export type BillingConfig = Omit<BillingSettings, 'approvalThresholdMicros'> & {
  approvalThresholdMicros: number
}

export function billingSettingsFrom(config: BillingConfig): BillingSettings {
  return { ...config, approvalThresholdMicros: BigInt(config.approvalThresholdMicros) }
}

export interface Billing {
  /** The request path's API: place, extend (on the hold), settle, release. */
  holds: BalanceHolds
  /** The admin side: credits, refunds, voids, adjustments, approvals, invoices. */
  ledger: LedgerService
  /**
   * Load balances (memory strategy), release holds left by a crash, then reap periodically.
   * Runs once; the first hold or admin operation awaits it too, so calling it is optional.
   */
  start(): Promise<void>
  /**
   * Post `credit_expiry` entries for expiring credits past their date (what is left of them under
   * the draw-down rule). Runs on start and with the hold reaper.
   */
  expireCredits(): Promise<number>
  /**
   * One reaper pass: release expired holds, then lapse expired credits. With
   * `periodicSweep: false` the caller runs this (main.ts: the job runner, once per interval
   * across processes).
   */
  sweep(): Promise<{ holdsReleased: number; creditsExpired: number }>
  /**
   * Record the usage event of a request that settles nothing (unpriced, or refused before a
   * hold): batched with the settlements, resolved once durable. `capReservationId`: the
   * monthly cap reservation it ends, released in the same transaction.
   */
  recordUsage(usage: UsageDraft, options?: { capReservationId?: string | null }): Promise<void>
  /** Stop the reaper and wait until every submitted settlement is committed. */
  stop(): Promise<void>
}

/** Wire the ledger: balance book, settlement group commit, holds and the admin service. */
export function createBilling(deps: {
  db: Db
  auditLog: AuditLog
  clock: Clock
  settings?: Partial<BillingSettings>
  /** Hears about a failed periodic reap. */
  onError?: (err: unknown) => void
  /**
   * Hears each admin posting and credit expiry once committed (the balance threshold monitor;
   * settlements are observed on the request path, which knows the budget policy in force).
   */
  onLedgerPosted?: (entry: LedgerEntry) => void
  /** Sees each batch's usage rows inside its transaction (the webhook outbox). */
  onUsageRows?: UsageRowsHook
  /**
   * The SQLite file the settlement thread may write (the long-running gateway). Used with memory
   * holds when `settlementThread` is on; `usageOutbox` must say whether `onUsageRows` enqueues
   * usage events, which the thread then does itself.
   */
  settlementThread?: Pick<
    SettlementThreadOptions,
    'path' | 'busyTimeoutMs' | 'usageOutbox' | 'onFailure'
  >
  /**
   * Sweep on start and every `holdReaperIntervalMs` in this process. False: `sweep()` is run by
   * the caller (the job runner, so several processes sweep once, not once each). @default true
   */
  periodicSweep?: boolean
}): Billing {
  const settings = { ...DEFAULT_BILLING_SETTINGS, ...deps.settings }
  const { db, clock } = deps
  const book = createBalanceBook()
  const onEventLoop = {
    db,
    clock,
    maxBatch: settings.settlementBatchMax,
    maxDelayMs: settings.settlementBatchDelayMs,
    ...(deps.onUsageRows ? { onUsageRows: deps.onUsageRows } : {}),
  }
  const thread =
    deps.settlementThread && settings.settlementThread && settings.holds === 'memory'
      ? startSettlementThread({
          ...deps.settlementThread,
          maxBatch: settings.settlementBatchMax,
          maxDelayMs: settings.settlementBatchDelayMs,
          fallback: (records) => commitRecords(onEventLoop, records),
        })
      : null
  const writer = thread?.writer ?? createSettlementWriter(onEventLoop)
  let started: Promise<void> | null = null
  const ready = () => (started ??= start())
  const holds = createBalanceHolds({
    db,
    clock,
    ready,
    strategy: settings.holds,
    book,
    writer,
    holdTtlMs: settings.holdTtlMs,
  })
  const ledger = createLedgerService({
    db,
    ready,
    auditLog: deps.auditLog,
    clock,
    strategy: settings.holds,
    book,
    holds,
    currency: settings.currency,
    approvalThresholdMicros: settings.approvalThresholdMicros,
    ...(deps.onLedgerPosted ? { onPosted: deps.onLedgerPosted } : {}),
  })
  const creditExpiry = createCreditExpiry({
    db,
    auditLog: deps.auditLog,
    clock,
    strategy: settings.holds,
    book,
    ...(deps.onLedgerPosted ? { onPosted: deps.onLedgerPosted } : {}),
  })
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  /** Release expired holds, then lapse expired credits (what holds gave back is then free). */
  async function sweep(): Promise<{ holdsReleased: number; creditsExpired: number }> {
    const holdsReleased = await holds.reapExpired()
    const creditsExpired = await creditExpiry.expireDue()
    return { holdsReleased, creditsExpired }
  }

  async function start(): Promise<void> {
    if (settings.holds === 'memory') {
      // This process owns the balances: stored holds can only be left over from a crashed
      // process (or an earlier database-strategy run); release them all, then load.
      await releaseAllStoredHolds(db, clock)
      for (const row of await findAccountRows(db))
        book.load({
          accountId: row.account_id,
          organizationId: row.organization_id,
          environment: row.environment,
          balanceMicros: row.balance_micros,
          version: row.version,
        })
    }
    if (deps.periodicSweep === false) return
    await sweep()
    if (stopped) return
    timer = setInterval(() => {
      sweep().catch((err: unknown) => deps.onError?.(err))
    }, settings.holdReaperIntervalMs)
    timer.unref()
  }

  return {
    holds,
    ledger,
    start: ready,
    expireCredits: async () => {
      await ready()
      return creditExpiry.expireDue()
    },
    sweep: async () => {
      await ready()
      return sweep()
    },
    recordUsage: async (usage, options) => {
      await writer.submit({
        settlement: null,
        usage,
        capReservationId: options?.capReservationId ?? null,
      })
    },
    stop: async () => {
      stopped = true
      if (timer) clearInterval(timer)
      timer = null
      await writer.flush()
      await thread?.close()
    },
  }
}

async function releaseAllStoredHolds(db: Db, clock: Clock): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await takeWriteLock(trx)
    const open = await trx
      .selectFrom('ledger_holds')
      .select('hold_id')
      .where('status', '=', 'open')
      .execute()
    const resolved = await resolveOpenHolds(trx, {
      holdIds: open.map((h) => h.hold_id),
      status: 'expired',
      now: toIsoTimestamp(clock.nowMs()),
    })
    const perAccount = new Map<string, Micros>()
    for (const h of resolved)
      perAccount.set(h.account_id, (perAccount.get(h.account_id) ?? 0n) + h.amount_micros)
    for (const [accountId, amountMicros] of [...perAccount].sort(([a], [b]) => a.localeCompare(b)))
      await unreserveOnAccount(trx, { accountId, amountMicros })
  })
}
