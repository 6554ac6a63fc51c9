import { FerryError, InvalidRequestError, NotFoundError } from '../lib/errors.js'
import type { BudgetReason } from './decide-budget.js'

const REASON_TEXT: Partial<Record<BudgetReason, string>> = {
  insufficient_balance: 'your prepaid balance does not cover this request',
  hard_cap_reached: 'your monthly hard spending cap has been reached',
  balance_below_block_threshold: 'your prepaid balance is below its minimum',
  monthly_spend_cap_reached: 'your monthly spending cap has been reached',
  monthly_token_limit_reached: 'your monthly token limit has been reached',
}

/**
 * 429 `insufficient_quota` for a request a budget policy blocks. OpenAI's status, type, code and
 * wording (plus which limit), with `x-should-retry: false` so SDKs fail fast instead of
 * retrying a request that cannot succeed. Nothing is charged. (src/billing's
 * InsufficientQuotaError is the same answer for a hold the ledger refuses; this one carries the
 * budget reason for the usage event.)
 */
export class BudgetBlockedError extends FerryError {
  readonly reason: BudgetReason
  /** The policy version that blocked, for the request's usage event (null: none given). */
  readonly policyVersion: number | null
  readonly budgetPolicyId: string | null
  constructor(
    reason: BudgetReason,
    decision?: { policyVersion: number | null; budgetPolicyId: string | null },
  ) {
    super(
      `You exceeded your current quota (${REASON_TEXT[reason] ?? reason.replaceAll('_', ' ')}), please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.`,
      {
        status: 429,
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        headers: { 'x-should-retry': 'false' },
      },
    )
    this.reason = reason
    this.policyVersion = decision?.policyVersion ?? null
    this.budgetPolicyId = decision?.budgetPolicyId ?? null
  }
}

export class BudgetPolicyNotFoundError extends NotFoundError {
  constructor(what: string) {
    super(`No budget policy ${what}.`, { code: 'budget_policy_not_found', param: 'version' })
  }
}

/**
 * 400: a publish that would change the hard cap. The hard cap changes only through the
 * high-risk hard cap update (`PUT …/budget-policies/hard-cap`, reason required).
 */
export class HardCapChangeError extends InvalidRequestError {
  constructor() {
    super(
      'This publish would change hardCapMicros. Change the hard cap with PUT /orgs/{id}/budget-policies/hard-cap (a high-risk action that needs a reason), and publish the other fields with the current hard cap.',
      { code: 'hard_cap_change_not_allowed', param: 'hardCapMicros' },
    )
  }
}

/** 400: the policy content breaks a rule (thresholds out of order, hard cap below the cap). */
export function invalidBudgetPolicy(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid value for '${param}': ${message}`, { param })
}
