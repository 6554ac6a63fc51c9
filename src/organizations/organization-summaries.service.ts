import { monthPeriod } from '../billing/index.js'
import {
  BudgetPolicyContentSchema,
  decideBudget,
  type BudgetDecisionKind,
  type BudgetReason,
} from '../budgets/index.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import type { Organization } from './organization.js'
import {
  findOrganizationSummaryRows,
  type OrganizationSummaryRow,
} from './organization-summaries.repository.js'
import { rowToOrganization, type OrganizationFilters } from './organizations.repository.js'

/** Where one environment of an organization stands: money, this month's spend, budget state. */
export interface EnvironmentSummary {
  /** The prepaid ledger balance (holds of requests in flight not subtracted); null: no account. */
  balanceMicros: bigint | null
  /** Cost of this month's (UTC) usage in this environment. */
  monthToDateSpendMicros: bigint
  /**
   * What the organization's budget policy decides now for a request in this environment that
   * costs nothing: the gateway's own rule (decideBudget) over this balance and the month's
   * spend and tokens of both environments, which is what the policy's caps count.
   */
  budget: { decision: BudgetDecisionKind; reason: BudgetReason }
}

export interface OrganizationSummary {
  organization: Organization
  /** `YYYY-MM`: the month the spend is of. */
  month: string
  /** The organization-level budget policy in force; null: none published. */
  budgetPolicy: { budgetPolicyId: string; version: number } | null
  /** Prompt + completion tokens this month, both environments. */
  monthToDateTokens: bigint
  live: EnvironmentSummary
  test: EnvironmentSummary
}

const big = (value: bigint | string | number | null): bigint | null =>
  value === null ? null : BigInt(value)

function toSummary(row: OrganizationSummaryRow, month: string): OrganizationSummary {
  const tokens = BigInt(row.month_tokens)
  const spend = { live: BigInt(row.live_spend_micros), test: BigInt(row.test_spend_micros) }
  const policy =
    row.budget_policy_id !== null && row.budget_content_json !== null
      ? {
          budgetPolicyId: row.budget_policy_id,
          version: Number(row.budget_version),
          keyId: null,
          content: BudgetPolicyContentSchema.parse(JSON.parse(row.budget_content_json)),
        }
      : null
  const environment = (balance: bigint | null, spendMicros: bigint): EnvironmentSummary => {
    const decision = decideBudget({
      policy,
      balanceMicros: balance,
      monthToDate: { tokens, spendMicros: spend.live + spend.test },
      estimatedCostMicros: 0n,
      estimatedTokens: 0n,
    })
    return {
      balanceMicros: balance,
      monthToDateSpendMicros: spendMicros,
      budget: { decision: decision.decision, reason: decision.reason },
    }
  }
  return {
    organization: rowToOrganization(row),
    month,
    budgetPolicy: policy
      ? { budgetPolicyId: policy.budgetPolicyId, version: policy.version }
      : null,
    monthToDateTokens: tokens,
    live: environment(big(row.live_balance_micros), spend.live),
    test: environment(big(row.test_balance_micros), spend.test),
  }
}

/** The organizations list with balances, spend and budget state: one query per page. */
export function createOrganizationSummaries(deps: { db: Db; clock: Clock }) {
  return {
    list: async (
      filters: OrganizationFilters & { limit: number },
    ): Promise<OrganizationSummary[]> => {
      const month = new Date(deps.clock.nowMs()).toISOString().slice(0, 7)
      const { from, to } = monthPeriod(month)
      const rows = await findOrganizationSummaryRows(deps.db, {
        ...filters,
        monthFrom: from,
        monthTo: to,
      })
      return rows.map((row) => toSummary(row, month))
    },
  }
}

export type OrganizationSummaries = ReturnType<typeof createOrganizationSummaries>
