import type { FastifyRequest } from 'fastify'
import type { SettlementOutcome } from '../../billing/index.js'
import type { MeteredEnd, MeteredRequest } from '../../gateway/index.js'
import type { PlannedTarget } from '../../routing/index.js'
import type { UsageDraft } from '../../usage/index.js'
import { addAccessLogFields } from '../middleware/access-log.js'

export const CLIENT_CLOSED = 'client closed the connection'

/** Whether the abort came from the client walking away (not a timeout or a failure). */
export function clientLeft(abort: AbortController): boolean {
  const reason: unknown = abort.signal.reason
  return abort.signal.aborted && reason instanceof Error && reason.message === CLIENT_CLOSED
}

/**
 * A request whose attempts produced nothing: held money goes back when nothing was sent, a
 * dispatch is waived, and a client that left a dispatched JSON request pays its input (the
 * upstream had the prompt; the client-abort rule).
 */
export function failedEnd(
  attempts: readonly { outcome: string; providerAccountId: string; model: string }[],
  context: { targets: readonly PlannedTarget[]; abort: AbortController },
): MeteredEnd {
  const dispatched = attempts.filter((a) => a.outcome !== 'skipped')
  const last = dispatched.at(-1)
  if (last === undefined) return { outcome: 'not_dispatched' }
  const target = context.targets.find(
    (t) => t.providerAccountId === last.providerAccountId && t.model === last.model,
  )
  if (clientLeft(context.abort) && target !== undefined) return { outcome: 'abandoned', target }
  return { outcome: 'upstream_failed_no_output' }
}

/** The settlement outcome a metered end records (null: nothing is settled). */
export function outcomeOf(end: MeteredEnd): SettlementOutcome | null {
  switch (end.outcome) {
    case 'not_dispatched':
      return null
    case 'abandoned':
      return 'client_aborted'
    default:
      return end.outcome
  }
}

/**
 * Settle a metered request once, recording the cost on the access line. A failed settlement is
 * logged and rethrown: the response must not look complete when its charge is not recorded.
 */
export function meterSettler(
  metered: MeteredRequest | null,
  request: FastifyRequest,
): (end: MeteredEnd, usage: UsageDraft | null) => Promise<void> {
  let done = false
  return async (end, usage) => {
    if (metered === null || done) return
    done = true
    try {
      const { costMicros, entry } = await metered.settle(end, usage)
      addAccessLogFields(request, {
        settlementOutcome: outcomeOf(end) ?? end.outcome,
        // What was held at the end (a stream's windows included).
        heldMicros: metered.heldMicros.toString(),
        costMicros: costMicros === null ? null : costMicros.toString(),
        ledgerEntryId: entry?.entryId ?? null,
      })
    } catch (err) {
      request.log.error({ err }, 'settlement failed')
      throw err
    }
  }
}
