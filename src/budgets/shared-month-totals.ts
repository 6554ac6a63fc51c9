import { newId } from '../lib/ids.js'
import { monthPeriod } from '../billing/invoice.js'
import type { Micros } from '../billing/money.js'
import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { takeWriteLock, type Db, type Tx } from '../storage/index.js'
import type { UsageEventsTable } from '../usage/index.js'
import type { BudgetPolicyContent } from './budget-policy.js'
import type { BudgetReason } from './decide-budget.js'
import {
  applyToMonthTotals,
  deleteReservationRows,
  ensureMonthTotalsRow,
  findExpiredReservationIds,
  findMonthTotalsRows,
  growReservationRow,
  insertReservationRow,
  reserveOnMonthTotals,
  type MonthTotalsChange,
} from './month-totals.repository.js'
import { enforcedMonthlyLimits, monthlyRefusalReason } from './monthly-limits.js'

/** Thrown inside a hold's transaction (rolling it back) when a monthly limit refuses a request. */
export class MonthlyLimitReachedError extends Error {
  readonly reason: BudgetReason
  readonly scope: string
  constructor(reason: BudgetReason, scope: string) {
    super(`monthly limit of ${scope} reached: ${reason}`)
    this.reason = reason
    this.scope = scope
  }
}

/** A budget scope (`org:…`, `key:…`) and the policy content that limits it. */
export interface LimitedScope {
  readonly scope: string
  readonly policy: BudgetPolicyContent
}

/** What one request reserves against the monthly limits of its scopes. */
export interface MonthlyReservation {
  readonly reservationId: string
  /** `YYYY-MM` (UTC) of the request's start: it reserves, and is released, in that month. */
  readonly month: string
  readonly scopes: readonly LimitedScope[]
  readonly spendMicros: Micros
  readonly tokens: bigint
}

/** Month-to-date totals as the budget decision reads them. */
export interface ScopeTotals {
  readonly spendMicros: Micros
  readonly tokens: bigint
}

/**
 * Monthly caps shared by every process on one database (`billing.holds: database`). Each
 * request reserves its maximum cost and tokens on its scopes' month rows with a conditional
 * UPDATE in the transaction of its balance hold, so the cap check and the reservation are one
 * atomic step across processes; its settlement adds the actual usage and releases the
 * reservation in the transaction that writes its usage event. See docs/scale-out.md.
 */
export interface SharedMonthTotals {
  /** Settled + reserved per scope this month (rows created from the usage events on first use). */
  totals(month: string, scopes: readonly string[]): Promise<Map<string, ScopeTotals>>
  /** A reservation for a request (not yet stored). */
  draft(input: Omit<MonthlyReservation, 'reservationId'>): MonthlyReservation
  /** Store `reservation` inside `trx` (a hold's). Throws MonthlyLimitReachedError. */
  reserveIn(trx: Tx, reservation: MonthlyReservation): Promise<void>
  /** Store `reservation` in a transaction of its own (a request that holds nothing). */
  reserve(reservation: MonthlyReservation): Promise<void>
  /** Grow a stored reservation inside `trx` (a hold's extension). Throws MonthlyLimitReachedError. */
  growIn(
    trx: Tx,
    change: { reservation: MonthlyReservation; spendMicros: Micros; tokens: bigint },
  ): Promise<void>
  /** Release a reservation whose request writes nothing (no usage event). */
  release(reservationId: string): Promise<void>
  /**
   * Inside a settlement batch's transaction: add the batch's usage to its scopes' months and
   * release the reservations it ends. Rows are updated in one sorted order (no deadlocks).
   */
  applySettled(
    trx: Db,
    batch: { usageRows: readonly UsageEventsTable[]; reservationIds: readonly string[] },
  ): Promise<void>
  /** Release reservations past their expiry (their process died); returns how many. */
  reapExpired(): Promise<number>
}

export function createSharedMonthTotals(deps: {
  db: Db
  clock: Clock
  /** How long a reservation outlives a process that died (as a hold): billing.holdTtlMs. */
  reservationTtlMs: number
}): SharedMonthTotals {
  const { db, clock } = deps
  const expiresAt = () => toIsoTimestamp(clock.nowMs() + deps.reservationTtlMs)

  async function totals(month: string, scopes: readonly string[]) {
    let rows = await findMonthTotalsRows(db, { month, scopes })
    const missing = scopes.filter((s) => !rows.some((r) => r.scope === s))
    if (missing.length > 0) {
      for (const scope of missing)
        await ensureMonthTotalsRow(db, { scope, month, ...monthPeriod(month) })
      rows = await findMonthTotalsRows(db, { month, scopes })
    }
    return new Map(
      rows.map((r) => [
        r.scope,
        {
          spendMicros: r.spend_micros + r.reserved_spend_micros,
          tokens: r.tokens + r.reserved_tokens,
        },
      ]),
    )
  }

  /** Reserve on every limited scope, in sorted order; throws on the first that refuses. */
  async function reserveOnScopes(
    trx: Tx,
    change: { reservation: MonthlyReservation; spendMicros: Micros; tokens: bigint },
  ) {
    const { reservation, spendMicros, tokens } = change
    const sorted = [...reservation.scopes].sort((a, b) => (a.scope < b.scope ? -1 : 1))
    for (const { scope, policy } of sorted) {
      const limits = enforcedMonthlyLimits(policy)
      const reserved = await reserveOnMonthTotals(trx, {
        scope,
        month: reservation.month,
        spendMicros,
        tokens,
        spendLimitMicros: limits?.spendLimitMicros ?? null,
        tokenLimit: limits?.tokenLimit ?? null,
      })
      if (reserved) continue
      const [row] = await findMonthTotalsRows(trx, { month: reservation.month, scopes: [scope] })
      const met = row
        ? {
            spendMicros: row.spend_micros + row.reserved_spend_micros,
            tokens: row.tokens + row.reserved_tokens,
          }
        : { spendMicros: 0n, tokens: 0n }
      throw new MonthlyLimitReachedError(
        monthlyRefusalReason({ policy, totals: met, request: { spendMicros, tokens } }),
        scope,
      )
    }
  }

  async function reserveIn(trx: Tx, reservation: MonthlyReservation) {
    await reserveOnScopes(trx, {
      reservation,
      spendMicros: reservation.spendMicros,
      tokens: reservation.tokens,
    })
    await insertReservationRow(trx, {
      reservation_id: reservation.reservationId,
      month: reservation.month,
      scopes_json: JSON.stringify(reservation.scopes.map((s) => s.scope).sort()),
      spend_micros: reservation.spendMicros,
      tokens: reservation.tokens,
      expires_at: expiresAt(),
      created_at: toIsoTimestamp(clock.nowMs()),
    })
  }

  /** Take `ids`' reservations off the totals and add `usageRows`; in `trx`, sorted. */
  async function apply(
    trx: Db,
    batch: { usageRows: readonly UsageEventsTable[]; reservationIds: readonly string[] },
  ) {
    const deltas = new Map<string, MonthTotalsChange>()
    const deltaOf = (scope: string, month: string) => {
      const key = `${scope}\u0000${month}`
      let delta = deltas.get(key)
      if (!delta) {
        delta = {
          scope,
          month,
          spendMicros: 0n,
          tokens: 0n,
          releasedSpendMicros: 0n,
          releasedTokens: 0n,
        }
        deltas.set(key, delta)
      }
      return delta
    }
    const released = await deleteReservationRows(trx, [...batch.reservationIds].sort())
    for (const r of released)
      for (const scope of JSON.parse(r.scopes_json) as string[]) {
        const delta = deltaOf(scope, r.month)
        delta.releasedSpendMicros += r.spend_micros
        delta.releasedTokens += r.tokens
      }
    for (const row of batch.usageRows) {
      // The month of the usage event's instant: what seeding from the usage events counts.
      const month = row.created_at.slice(0, 7)
      const tokens = BigInt(row.prompt_tokens + row.completion_tokens)
      for (const scope of [`org:${row.organization_id}`, `key:${row.key_id}`]) {
        const delta = deltaOf(scope, month)
        delta.spendMicros += row.cost_micros
        delta.tokens += tokens
      }
    }
    for (const key of [...deltas.keys()].sort()) await applyToMonthTotals(trx, deltas.get(key)!)
    return released.length
  }

  return {
    totals,
    draft: (input) => ({ ...input, reservationId: newId('bres', clock.nowMs()) }),
    reserveIn,
    reserve: (reservation) =>
      db.transaction().execute(async (trx) => {
        await takeWriteLock(trx)
        await reserveIn(trx, reservation)
      }),
    growIn: async (trx, change) => {
      await reserveOnScopes(trx, change)
      const grown = await growReservationRow(trx, {
        reservationId: change.reservation.reservationId,
        spendMicros: change.spendMicros,
        tokens: change.tokens,
        expiresAt: expiresAt(),
      })
      // Reaped meanwhile: what the scopes gained above would never be released; refuse instead.
      if (!grown) throw new MonthlyLimitReachedError('hard_cap_reached', 'expired reservation')
    },
    release: async (reservationId) => {
      await db.transaction().execute(async (trx) => {
        await takeWriteLock(trx)
        await apply(trx, { usageRows: [], reservationIds: [reservationId] })
      })
    },
    applySettled: async (trx, batch) => {
      await apply(trx, batch)
    },
    reapExpired: async () => {
      let count = 0
      for (;;) {
        const ids = (
          await findExpiredReservationIds(db, { now: toIsoTimestamp(clock.nowMs()), limit: 200 })
        ).map((r) => r.reservation_id)
        if (ids.length === 0) return count
        count += await db.transaction().execute(async (trx) => {
          await takeWriteLock(trx)
          return apply(trx, { usageRows: [], reservationIds: ids })
        })
        if (ids.length < 200) return count
      }
    },
  }
}
