import type { Micros } from '../billing/money.js'
import {
  BUDGET_THRESHOLDS,
  type BudgetPolicyContent,
  type BudgetThreshold,
} from './budget-policy.js'

/** Where a balance is relative to one threshold. */
export type ThresholdState = 'above' | 'below'

/** A balance that moved across a threshold: `down` (fell below it) or `up` (back at or above). */
export interface ThresholdCrossing {
  readonly threshold: BudgetThreshold
  readonly direction: 'down' | 'up'
  readonly thresholdMicros: Micros
}

const AMOUNT_OF: Record<BudgetThreshold, keyof BudgetPolicyContent['thresholds']> = {
  warn: 'warnBelowMicros',
  downgrade: 'downgradeBelowMicros',
  block: 'blockBelowMicros',
}

/** The configured thresholds as (name, amount) pairs, in BUDGET_THRESHOLDS order. */
export function configuredThresholds(
  thresholds: BudgetPolicyContent['thresholds'],
): { threshold: BudgetThreshold; amountMicros: Micros }[] {
  return BUDGET_THRESHOLDS.flatMap((threshold) => {
    const amountMicros = thresholds[AMOUNT_OF[threshold]]
    return amountMicros === null ? [] : [{ threshold, amountMicros }]
  })
}

/** Below means strictly less than the threshold (the rule decideBudget uses too). */
export function stateAt(balanceMicros: Micros, thresholdMicros: Micros): ThresholdState {
  return balanceMicros < thresholdMicros ? 'below' : 'above'
}

/**
 * The thresholds a balance crossed going from `previousMicros` to `nextMicros`: each configured
 * threshold whose side changed, once, whatever the size of the move. A move that stays on one
 * side (however close) crosses nothing, so a balance flapping around a threshold yields one
 * crossing per actual passage.
 * @example detectCrossings({ previousMicros: 120n, nextMicros: 80n, thresholds }) // [{ threshold: 'warn', direction: 'down', … }]
 */
export function detectCrossings(options: {
  previousMicros: Micros
  nextMicros: Micros
  thresholds: BudgetPolicyContent['thresholds']
}): ThresholdCrossing[] {
  return configuredThresholds(options.thresholds).flatMap(({ threshold, amountMicros }) => {
    const before = stateAt(options.previousMicros, amountMicros)
    const after = stateAt(options.nextMicros, amountMicros)
    if (before === after) return []
    return [
      { threshold, direction: after === 'below' ? 'down' : 'up', thresholdMicros: amountMicros },
    ]
  })
}
