import { maxMicros, type Micros } from './money.js'

/**
 * How a request ended, as the request path classifies it (DESIGN step 7). Where the failure
 * happened decides what is charged: before dispatch never; after dispatch with nothing
 * delivered never (OpenRouter's zero-completion rule); a partial stream for what was delivered.
 */
export const SETTLEMENT_OUTCOMES = [
  'rejected_pre_dispatch',
  'upstream_failed_no_output',
  'client_aborted',
  'upstream_failed_partial',
  'completed',
] as const
export type SettlementOutcome = (typeof SETTLEMENT_OUTCOMES)[number]

/**
 * The version of the rule table below. Every settlement entry records `ruleId@version`, so a
 * past charge can be explained by the rules in force when it was made. Change a rule: bump this.
 */
export const SETTLEMENT_RULES_VERSION = 1

type ChargeBasis =
  /** Nothing is charged and nothing is written (the request never reached an upstream). */
  | 'nothing'
  /** Nothing is charged; an explicit zero-sum waiver entry records what was waived. */
  | 'waiver'
  /** The cost of the tokens delivered, and at least the cost of the input. */
  | 'delivered_at_least_input'
  /** The cost of the tokens delivered. */
  | 'delivered'
  /** The cost of the usage the upstream reported. */
  | 'reported'

interface SettlementRule {
  readonly ruleId: string
  readonly basis: ChargeBasis
}

/** Outcome → rule, as data: docs/billing.md shows the same table. */
export const SETTLEMENT_RULES: Readonly<Record<SettlementOutcome, SettlementRule>> = {
  rejected_pre_dispatch: { ruleId: 'no_charge_rejected_pre_dispatch', basis: 'nothing' },
  upstream_failed_no_output: { ruleId: 'zero_completion_waiver', basis: 'waiver' },
  client_aborted: { ruleId: 'charge_delivered_at_least_input', basis: 'delivered_at_least_input' },
  upstream_failed_partial: { ruleId: 'charge_delivered', basis: 'delivered' },
  completed: { ruleId: 'charge_reported_usage', basis: 'reported' },
}

/** What a settlement does, decided by `decideSettlement`. */
export interface SettlementDecision {
  /** `ruleId@version`, recorded on the entry. */
  rule: string
  /** `charge`: a usage charge entry; `waiver`: a zero-sum waiver entry; `none`: no entry. */
  entry: 'charge' | 'waiver' | 'none'
  /** What to charge (≥ 0). */
  chargeMicros: Micros
  /** What was not charged by rule (the waiver's face value), ≥ 0. */
  waivedMicros: Micros
}

/**
 * The pure settlement rule: outcome and priced usage → what to charge. `costMicros` is the
 * price of the usage the caller counted (reported, or delivered where the upstream gave none),
 * priced at the model that actually served; `inputCostMicros` the price of the input alone.
 */
export function decideSettlement(input: {
  outcome: SettlementOutcome
  costMicros: Micros
  inputCostMicros?: Micros
}): SettlementDecision {
  if (input.costMicros < 0n || (input.inputCostMicros ?? 0n) < 0n)
    throw new RangeError('costs are never negative')
  const rule = SETTLEMENT_RULES[input.outcome]
  const tag = `${rule.ruleId}@${SETTLEMENT_RULES_VERSION}`
  switch (rule.basis) {
    case 'nothing':
      return { rule: tag, entry: 'none', chargeMicros: 0n, waivedMicros: 0n }
    case 'waiver':
      return {
        rule: tag,
        entry: 'waiver',
        chargeMicros: 0n,
        waivedMicros: maxMicros(input.costMicros, input.inputCostMicros ?? 0n),
      }
    case 'delivered_at_least_input':
      return {
        rule: tag,
        entry: 'charge',
        chargeMicros: maxMicros(input.costMicros, input.inputCostMicros ?? 0n),
        waivedMicros: 0n,
      }
    case 'delivered':
    case 'reported':
      return { rule: tag, entry: 'charge', chargeMicros: input.costMicros, waivedMicros: 0n }
  }
}
