import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { newLedgerId } from './billing-ids.js'
import { takeWriteLock, type Db, type Tx } from '../storage/index.js'
import type { BalanceBook } from './balance-book.js'
import { HoldAlreadyResolvedError } from './billing-errors.js'
import {
  findAccountRow,
  findExpiredHoldIds,
  growOpenHold,
  insertHoldRow,
  reserveOnAccount,
  resolveOpenHolds,
  unreserveOnAccount,
} from './ledger.repository.js'
import { COUNTER_ACCOUNTS, type BillingEnvironment, type LedgerEntry } from './ledger-entry.js'
import { minMicros, type Micros } from './money.js'
import { decideSettlement, type SettlementOutcome } from './settlement-rules.js'
import { CommitOutcomeUnknownError } from './group-commit.js'
import type { SettlementWriter } from './settlement-writer.js'
import type { UsageDraft } from '../usage/index.js'

/**
 * Where holds live. `memory`: in this process (the balance book), no database write per hold;
 * right while one process owns the database (SQLite, or one PostgreSQL instance). `database`:
 * an atomic conditional UPDATE on the account row plus a stored hold, for several instances
 * sharing PostgreSQL. See docs/adr/0002-ledger-and-holds.md.
 */
export const HOLD_STRATEGIES = ['memory', 'database'] as const
export type HoldStrategy = (typeof HOLD_STRATEGIES)[number]

export type HoldState = 'open' | 'settled' | 'released' | 'expired'

/** A reservation on an organization's balance for one request. Resolves exactly once. */
export interface Hold {
  readonly ok: true
  readonly holdId: string
  readonly accountId: string
  readonly organizationId: string
  readonly environment: BillingEnvironment
  readonly requestId: string
  /** What is reserved now (grows with `extend`). */
  readonly amountMicros: Micros
  readonly expiresAtMs: number
  readonly state: HoldState
  /**
   * Reserve `amountMicros` more (a stream without `max_tokens` running past its window), and
   * push the expiry to `expiresAtMs` if later. `InsufficientFunds` when the balance cannot cover
   * it: the caller stops the stream. Throws `hold_already_resolved` on a resolved hold.
   */
  extend(amountMicros: Micros, options?: ExtendHoldOptions): Promise<Hold | InsufficientFunds>
}

/**
 * Work that must commit or roll back with a stored hold (database strategy only): it runs in
 * the hold's transaction after the balance was reserved, and whatever it throws rolls the hold
 * back and is rethrown (the monthly caps' reservation, src/budgets).
 */
export type AlongsideHold = (trx: Tx) => Promise<void>

export interface ExtendHoldOptions {
  expiresAtMs?: number
  alongside?: AlongsideHold
}

/** What `place` and `extend` answer when the balance cannot cover the amount. */
export interface InsufficientFunds {
  readonly ok: false
  readonly code: 'insufficient_quota'
  readonly availableMicros: Micros
  readonly requestedMicros: Micros
}

export interface PlaceHoldInput {
  organizationId: string
  environment: BillingEnvironment
  /** The request's maximum cost (input counted + max output), or its first streaming window. */
  amountMicros: Micros
  requestId: string
  /** @default now + billing.holdTtlMs */
  expiresAtMs?: number
  alongside?: AlongsideHold
}

export interface SettleInput {
  hold: Hold
  outcome: SettlementOutcome
  /** The cost of the usage counted (reported, else delivered), priced at the model that served. */
  costMicros: Micros
  /** The cost of the input alone (a client abort is charged at least this). @default 0n */
  inputCostMicros?: Micros
  modelServed?: string | null
  /** Non-secret facts to keep with the entry: token counts, price table version, fallbacks. */
  details?: Record<string, unknown> | null
  /** The request's usage event: written in the settlement's transaction. */
  usage?: UsageDraft | null
  /** A monthly cap reservation this settlement ends (released in its transaction). */
  capReservationId?: string | null
}

export interface BalanceHolds {
  readonly strategy: HoldStrategy
  /** Reserve funds before calling the upstream: atomic against the balance. */
  place(input: PlaceHoldInput): Promise<Hold | InsufficientFunds>
  /** Give the whole hold back (nothing charged, no entry). */
  release(hold: Hold): Promise<void>
  /**
   * Post the actual cost by the settlement rules and release the rest of the hold, in one step.
   * Resolves once the entry is durable (group commit); null when the rule writes no entry.
   */
  settle(input: SettleInput): Promise<LedgerEntry | null>
  /** Release holds past their expiry; returns how many. Runs on start and periodically. */
  reapExpired(): Promise<number>
  /** What is held on an account right now. */
  heldOn(accountId: string): Promise<Micros>
  /** Holds of this process not yet resolved. */
  openHoldCount(): number
  /**
   * What an organization's environment can still hold (balance minus holds), or null when it
   * has no prepaid account. A reading for budget thresholds, not a reservation: `place` decides.
   */
  available(organizationId: string, environment: BillingEnvironment): Promise<Micros | null>
}

interface MutableHold {
  ok: true
  holdId: string
  accountId: string
  organizationId: string
  environment: BillingEnvironment
  requestId: string
  amountMicros: Micros
  expiresAtMs: number
  state: HoldState
  extend: Hold['extend']
}

export interface BalanceHoldsDeps {
  db: Db
  clock: Clock
  strategy: HoldStrategy
  /** The in-process authority (memory strategy). */
  book: BalanceBook
  writer: SettlementWriter
  holdTtlMs: number
  /** Resolves once balances are loaded and leftover holds released (billing start). */
  ready: () => Promise<void>
}

export function createBalanceHolds(deps: BalanceHoldsDeps): BalanceHolds {
  const { db, clock, book, writer, strategy } = deps
  const open = new Map<string, MutableHold>()
  // Account ids never change: cache them (database strategy) so a hold is one transaction.
  const accountIds = new Map<string, string>()

  function insufficient(available: Micros, requested: Micros): InsufficientFunds {
    return {
      ok: false,
      code: 'insufficient_quota',
      availableMicros: available > 0n ? available : 0n,
      requestedMicros: requested,
    }
  }

  async function findAccountId(organizationId: string, environment: BillingEnvironment) {
    if (strategy === 'memory') return book.findAccountId(organizationId, environment)
    const key = `${organizationId}\u0000${environment}`
    const cached = accountIds.get(key)
    if (cached) return cached
    const row = await findAccountRow(db, { organizationId, environment })
    if (row) accountIds.set(key, row.account_id)
    return row?.account_id
  }

  function bookAvailable(accountId: string): Micros {
    const state = book.get(accountId)
    return state ? state.balanceMicros - state.heldMicros : 0n
  }

  async function dbAvailable(accountId: string): Promise<Micros> {
    const row = await db
      .selectFrom('ledger_accounts')
      .select(['balance_micros', 'held_micros'])
      .where('account_id', '=', accountId)
      .executeTakeFirst()
    return row ? row.balance_micros - row.held_micros : 0n
  }

  function assertAlongsideFits(alongside: AlongsideHold | undefined): void {
    // Memory holds have no transaction to share.
    if (alongside !== undefined && strategy !== 'database')
      throw new RangeError('work alongside a hold needs billing.holds: database')
  }

  function assertOpen(hold: MutableHold): void {
    if (hold.state !== 'open') throw new HoldAlreadyResolvedError(hold.holdId, hold.state)
  }

  async function extend(
    hold: MutableHold,
    amount: Micros,
    options: ExtendHoldOptions = {},
  ): Promise<Hold | InsufficientFunds> {
    if (amount < 0n) throw new RangeError('a hold grows by a non-negative amount')
    assertOpen(hold)
    assertAlongsideFits(options.alongside)
    const expiresAtMs = Math.max(hold.expiresAtMs, options.expiresAtMs ?? hold.expiresAtMs)
    if (strategy === 'memory') {
      if (!book.tryReserve(hold.accountId, amount))
        return insufficient(bookAvailable(hold.accountId), amount)
    } else {
      const grown = await db
        .transaction()
        .execute(async (trx) => {
          await takeWriteLock(trx)
          const held = await growOpenHold(trx, {
            holdId: hold.holdId,
            amountMicros: amount,
            expiresAt: toIsoTimestamp(expiresAtMs),
          })
          if (!held) return 'resolved' as const
          if (!(await reserveOnAccount(trx, { accountId: hold.accountId, amountMicros: amount })))
            throw new NotCovered()
          if (options.alongside) await options.alongside(trx)
          return 'grown' as const
        })
        .catch((err: unknown) => {
          if (err instanceof NotCovered) return 'not_covered' as const
          throw err
        })
      if (grown === 'resolved') throw new HoldAlreadyResolvedError(hold.holdId, 'resolved')
      if (grown === 'not_covered') return insufficient(await dbAvailable(hold.accountId), amount)
      // Resolved meanwhile (the reaper) is caught above; the hold is still ours here.
      if (hold.state !== 'open') throw new HoldAlreadyResolvedError(hold.holdId, hold.state)
    }
    hold.amountMicros += amount
    hold.expiresAtMs = expiresAtMs
    return hold
  }

  function newHold(input: PlaceHoldInput & { accountId: string; expiresAtMs: number }) {
    const hold: MutableHold = {
      ok: true,
      holdId: newLedgerId('hold', clock.nowMs()),
      accountId: input.accountId,
      organizationId: input.organizationId,
      environment: input.environment,
      requestId: input.requestId,
      amountMicros: input.amountMicros,
      expiresAtMs: input.expiresAtMs,
      state: 'open',
      extend: (amount, options) => extend(hold, amount, options),
    }
    return hold
  }

  async function releaseStored(holdIds: readonly string[], status: 'released' | 'expired') {
    if (holdIds.length === 0) return []
    return db.transaction().execute(async (trx) => {
      await takeWriteLock(trx)
      const resolved = await resolveOpenHolds(trx, {
        holdIds,
        status,
        now: toIsoTimestamp(clock.nowMs()),
      })
      const perAccount = new Map<string, Micros>()
      for (const h of resolved)
        perAccount.set(h.account_id, (perAccount.get(h.account_id) ?? 0n) + h.amount_micros)
      for (const accountId of [...perAccount.keys()].sort())
        await unreserveOnAccount(trx, { accountId, amountMicros: perAccount.get(accountId)! })
      return resolved.map((h) => h.hold_id)
    })
  }

  return {
    strategy,

    place: async (input) => {
      if (input.amountMicros < 0n) throw new RangeError('a hold is a non-negative amount')
      assertAlongsideFits(input.alongside)
      await deps.ready()
      const expiresAtMs = input.expiresAtMs ?? clock.nowMs() + deps.holdTtlMs
      const accountId = await findAccountId(input.organizationId, input.environment)
      if (accountId === undefined) return insufficient(0n, input.amountMicros)
      const hold = newHold({ ...input, accountId, expiresAtMs })
      if (strategy === 'memory') {
        // Check and reserve in one synchronous step: no await between them.
        if (!book.tryReserve(accountId, input.amountMicros))
          return insufficient(bookAvailable(accountId), input.amountMicros)
      } else {
        const placed = await db.transaction().execute(async (trx) => {
          await takeWriteLock(trx)
          if (!(await reserveOnAccount(trx, { accountId, amountMicros: input.amountMicros })))
            return false
          await insertHoldRow(trx, {
            hold_id: hold.holdId,
            account_id: accountId,
            request_id: input.requestId,
            amount_micros: input.amountMicros,
            status: 'open',
            expires_at: toIsoTimestamp(expiresAtMs),
            created_at: toIsoTimestamp(clock.nowMs()),
            resolved_at: null,
          })
          if (input.alongside) await input.alongside(trx)
          return true
        })
        if (!placed) return insufficient(await dbAvailable(accountId), input.amountMicros)
      }
      open.set(hold.holdId, hold)
      return hold
    },

    release: async (given) => {
      const hold = given as MutableHold
      assertOpen(hold)
      hold.state = 'released'
      open.delete(hold.holdId)
      if (strategy === 'memory') book.unreserve(hold.accountId, hold.amountMicros)
      else await releaseStored([hold.holdId], 'released')
    },

    settle: async (input) => {
      const hold = input.hold as MutableHold
      // Late settlement of an expired hold is allowed once: the charge is taken from what is
      // available. Settled and released holds are refused: a hold resolves at most once.
      if (hold.state !== 'open' && hold.state !== 'expired')
        throw new HoldAlreadyResolvedError(hold.holdId, hold.state)
      const wasOpen = hold.state === 'open'
      const decision = decideSettlement({
        outcome: input.outcome,
        costMicros: input.costMicros,
        ...(input.inputCostMicros !== undefined ? { inputCostMicros: input.inputCostMicros } : {}),
      })
      hold.state = 'settled'
      open.delete(hold.holdId)
      const usage = input.usage ?? null
      const capReservationId = input.capReservationId ?? null
      if (decision.entry === 'none') {
        if (wasOpen) {
          if (strategy === 'memory') book.unreserve(hold.accountId, hold.amountMicros)
          else await releaseStored([hold.holdId], 'released')
        }
        if (usage !== null || capReservationId !== null)
          await writer.submit({ settlement: null, usage, capReservationId })
        return null
      }
      const isWaiver = decision.entry === 'waiver'
      const draft = {
        kind: isWaiver ? ('usage_waiver' as const) : ('usage_charge' as const),
        amountMicros: 0n,
        counterAccount: isWaiver ? COUNTER_ACCOUNTS.waivers : COUNTER_ACCOUNTS.revenue,
        idempotencyKey: `settle:${hold.holdId}`,
        requestId: hold.requestId,
        holdId: hold.holdId,
        outcome: input.outcome,
        settlementRule: decision.rule,
        waivedMicros: isWaiver ? decision.waivedMicros : null,
        modelServed: input.modelServed ?? null,
        details: input.details ?? null,
      }
      if (strategy === 'database') {
        try {
          return await writer.submit({
            settlement: {
              accountId: hold.accountId,
              storedHoldId: hold.holdId,
              chargeMicros: decision.chargeMicros,
              capToAvailable: true,
              draft,
            },
            usage,
            capReservationId,
          })
        } catch (err) {
          // Nothing was charged; give the stored hold back now rather than at its expiry.
          await releaseStored([hold.holdId], 'released').catch(() => undefined)
          throw err
        }
      }
      // Memory: release, charge at most hold + available, all before the next await.
      const released = wasOpen ? hold.amountMicros : 0n
      book.unreserve(hold.accountId, released)
      const available = bookAvailable(hold.accountId)
      const charge = minMicros(decision.chargeMicros, available > 0n ? available : 0n)
      book.applyDebit(hold.accountId, charge)
      try {
        return await writer.submit({
          settlement: {
            accountId: hold.accountId,
            storedHoldId: null,
            chargeMicros: charge,
            capToAvailable: false,
            draft: {
              ...draft,
              holdMicros: released,
              uncoveredMicros: decision.chargeMicros - charge,
            },
          },
          usage,
          capReservationId,
        })
      } catch (err) {
        // Not committed: the charge goes back. Perhaps committed (the thread was lost, the
        // flush failed): it stays taken, so the book is never above the database; at worst it
        // is below by this charge until the next start loads the account.
        if (!(err instanceof CommitOutcomeUnknownError)) book.applyDebit(hold.accountId, -charge)
        throw err
      }
    },

    reapExpired: async () => {
      const nowMs = clock.nowMs()
      let count = 0
      for (const hold of [...open.values()]) {
        if (hold.expiresAtMs > nowMs || strategy !== 'memory') continue
        hold.state = 'expired'
        open.delete(hold.holdId)
        book.unreserve(hold.accountId, hold.amountMicros)
        count += 1
      }
      if (strategy === 'memory') return count
      for (;;) {
        const ids = (await findExpiredHoldIds(db, { now: toIsoTimestamp(nowMs), limit: 500 })).map(
          (r) => r.hold_id,
        )
        if (ids.length === 0) return count
        const expired = await releaseStored(ids, 'expired')
        for (const id of expired) {
          const local = open.get(id)
          if (local) {
            local.state = 'expired'
            open.delete(id)
          }
        }
        count += expired.length
        if (ids.length < 500) return count
      }
    },

    heldOn: async (accountId) => {
      if (strategy === 'memory') return book.get(accountId)?.heldMicros ?? 0n
      const row = await db
        .selectFrom('ledger_accounts')
        .select('held_micros')
        .where('account_id', '=', accountId)
        .executeTakeFirst()
      return row?.held_micros ?? 0n
    },

    openHoldCount: () => open.size,
    available: async (organizationId, environment) => {
      await deps.ready()
      const accountId = await findAccountId(organizationId, environment)
      if (accountId === undefined) return null
      return strategy === 'memory' ? bookAvailable(accountId) : dbAvailable(accountId)
    },
  }
}

/** Thrown inside an extension's transaction to roll it back when the balance does not cover it. */
class NotCovered extends Error {}
