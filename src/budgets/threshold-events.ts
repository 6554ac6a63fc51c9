import type { AuditContext, AuditLog } from '../audit/index.js'
import type { Micros } from '../billing/money.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createInFlight } from '../lib/in-flight.js'
import type { Db } from '../storage/index.js'
import type { BudgetPolicyContent, BudgetThreshold } from './budget-policy.js'
import {
  findThresholdStateRows,
  moveThresholdState,
  type BudgetThresholdStateRow,
} from './budget-policies.repository.js'
import { configuredThresholds, stateAt, type ThresholdState } from './threshold-crossings.js'
import type { WebhookSender } from './budget-webhook.js'

/** The system actor that records threshold crossings (DESIGN: system actors name the job). */
export const THRESHOLD_ACTOR_ID = 'system:budget_policy:threshold'

/** One recorded crossing: the audit event's `after.crossing` and the webhook's body. */
export interface ThresholdCrossingEvent {
  readonly type: 'budget.threshold_crossed'
  /** `btc_…`: the same in the audit event, the webhook and `budget_threshold_states`. */
  readonly crossingId: string
  readonly organizationId: string
  readonly threshold: BudgetThreshold
  readonly direction: 'down' | 'up'
  /** Decimal strings of micros. */
  readonly thresholdMicros: string
  readonly balanceMicros: string
  readonly budgetPolicyId: string | null
  readonly policyVersion: number | null
  /** The customer request whose settlement moved the balance, when known. */
  readonly requestId: string | null
  readonly occurredAt: string
}

export interface ThresholdEventsDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  /** Where crossings are POSTed, if `budgets.webhookUrl` is set. */
  webhook?: WebhookSender | null
  /**
   * How long this instance trusts its own memory of the states before reading them again
   * (another instance may have recorded a crossing meanwhile). @default 30000
   */
  stateCacheTtlMs?: number
  /**
   * The organization's live balance as the ledger holds it now, read in the crossing's
   * transaction (null: no account). An observation can arrive after a later one (settlements
   * of one batch resolve in any order; another instance observes on its own): a crossing the
   * current balance contradicts is stale and recorded by nobody. Absent: observations are
   * taken as they come.
   */
  currentBalance?: (tx: Db, organizationId: string) => Promise<Micros | null>
}

/** Thrown inside the transaction to roll it back when another writer already recorded it. */
class AlreadyRecorded extends Error {}
/** Thrown inside the transaction when the ledger's balance has moved back across the threshold. */
class Stale extends Error {}

const CROSSING_ID_PREFIX = 'btc'

/**
 * Records each crossing of a prepaid-balance threshold once: one `budget.threshold_crossed`
 * audit event (system actor) per crossing, down (fell below) or up (back at or above), and a
 * signed webhook. The state of each threshold is persisted with the event in one transaction,
 * so a restart, a replayed observation or a second instance never records the same crossing
 * twice. The request path calls `observe` after settlement without awaiting it: an unchanged
 * state costs no I/O (the states are remembered in memory).
 */
export function createThresholdEvents(deps: ThresholdEventsDeps) {
  const { db, auditLog, clock } = deps
  const ttlMs = deps.stateCacheTtlMs ?? 30_000
  const inFlight = createInFlight()
  const known = new Map<
    string,
    { loadedAtMs: number; states: Map<BudgetThreshold, ThresholdState> }
  >()

  async function statesOf(organizationId: string): Promise<Map<BudgetThreshold, ThresholdState>> {
    const cached = known.get(organizationId)
    if (cached && clock.nowMs() - cached.loadedAtMs < ttlMs) return cached.states
    const rows = await findThresholdStateRows(db, organizationId)
    const states = new Map(
      rows.map((r) => [r.threshold as BudgetThreshold, r.state as ThresholdState]),
    )
    known.set(organizationId, { loadedAtMs: clock.nowMs(), states })
    return states
  }

  async function record(event: ThresholdCrossingEvent): Promise<'recorded' | 'already' | 'stale'> {
    const context: AuditContext = {
      actor: { type: 'system', id: THRESHOLD_ACTOR_ID, role: null },
      ip: null,
      userAgent: null,
      requestId: event.requestId,
    }
    const wanted: ThresholdState = event.direction === 'down' ? 'below' : 'above'
    try {
      await auditLog.run(context, 'budget.threshold_crossed', async (tx) => {
        const rows = await findThresholdStateRows(tx, event.organizationId)
        const current = rows.find((r) => r.threshold === event.threshold)?.state ?? 'above'
        if (current === wanted) throw new AlreadyRecorded()
        const balanceNow = (await deps.currentBalance?.(tx, event.organizationId)) ?? null
        if (balanceNow !== null && stateAt(balanceNow, BigInt(event.thresholdMicros)) !== wanted)
          throw new Stale()
        const row: BudgetThresholdStateRow = {
          organization_id: event.organizationId,
          threshold: event.threshold,
          state: wanted,
          last_crossing_id: event.crossingId,
          balance_micros: BigInt(event.balanceMicros),
          threshold_micros: BigInt(event.thresholdMicros),
          updated_at: event.occurredAt,
        }
        if (!(await moveThresholdState(tx, row))) throw new AlreadyRecorded()
        return {
          result: undefined,
          event: {
            organizationId: event.organizationId,
            target: {
              type: 'budget_policy',
              id: event.budgetPolicyId ?? event.organizationId,
              label: `${event.threshold} threshold`,
            },
            after: { crossing: event },
            policyVersion: event.policyVersion === null ? null : String(event.policyVersion),
            evidence: event.requestId === null ? null : { requestIds: [event.requestId] },
          },
        }
      })
      return 'recorded'
    } catch (err) {
      if (err instanceof AlreadyRecorded) return 'already'
      if (err instanceof Stale) return 'stale'
      throw err
    }
  }

  // One organization's observations run one after another, in the order they came: two at
  // once would both compare with the same remembered state, and the second's crossing back
  // would be lost behind the first's.
  const queues = new Map<string, Promise<void>>()
  function inOrder<T>(organizationId: string, run: () => Promise<T>): Promise<T> {
    const previous = queues.get(organizationId) ?? Promise.resolve()
    const result = previous.then(run)
    const done = result.then(
      () => undefined,
      () => undefined,
    )
    queues.set(organizationId, done)
    void done.then(() => {
      if (queues.get(organizationId) === done) queues.delete(organizationId)
    })
    return result
  }

  return {
    /**
     * Compare the balance with the organization policy's thresholds and record each threshold
     * whose side changed since the last recorded crossing. Returns the crossings recorded by
     * this call (none when nothing changed or another writer recorded it first).
     */
    // Requests never await this; `drain` does (shutdown, tests reading the audit log).
    observe: (input: ObserveInput): Promise<ThresholdCrossingEvent[]> => {
      const configured = configuredThresholds(input.thresholds)
      if (configured.length === 0) return Promise.resolve([])
      return inFlight.track(inOrder(input.organizationId, () => observe(input, configured)))
    },

    /** Forget the remembered states (tests; a restart does the same). */
    forget: () => known.clear(),

    /** Wait for observations and webhook deliveries in flight. */
    drain: async () => {
      await inFlight.drain()
      await deps.webhook?.drain()
    },
  }

  async function observe(
    input: ObserveInput,
    configured: ReturnType<typeof configuredThresholds>,
  ): Promise<ThresholdCrossingEvent[]> {
    const states = await statesOf(input.organizationId)
    const recorded: ThresholdCrossingEvent[] = []
    for (const { threshold, amountMicros } of configured) {
      const now = stateAt(input.balanceMicros, amountMicros)
      if ((states.get(threshold) ?? 'above') === now) continue
      const nowMs = clock.nowMs()
      const event: ThresholdCrossingEvent = {
        type: 'budget.threshold_crossed',
        crossingId: newId(CROSSING_ID_PREFIX, nowMs),
        organizationId: input.organizationId,
        threshold,
        direction: now === 'below' ? 'down' : 'up',
        thresholdMicros: amountMicros.toString(),
        balanceMicros: input.balanceMicros.toString(),
        budgetPolicyId: input.policy?.budgetPolicyId ?? null,
        policyVersion: input.policy?.version ?? null,
        requestId: input.requestId ?? null,
        occurredAt: toIsoTimestamp(nowMs),
      }
      const outcome = await record(event)
      // Stale: the stored state stands (the balance is back on its side); else it is `now`.
      if (outcome === 'stale') continue
      states.set(threshold, now)
      if (outcome === 'already') continue
      recorded.push(event)
      deps.webhook?.send({ id: event.crossingId, payload: { ...event } })
    }
    return recorded
  }
}

interface ObserveInput {
  organizationId: string
  balanceMicros: Micros
  thresholds: BudgetPolicyContent['thresholds']
  policy: { budgetPolicyId: string; version: number } | null
  requestId?: string | null
}

export type ThresholdEvents = ReturnType<typeof createThresholdEvents>
