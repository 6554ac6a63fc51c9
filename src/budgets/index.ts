/**
 * Budget policies: versioned per organization (and optionally per key), the pure decision the
 * request path takes for each request, the in-memory budget book, and threshold crossing
 * events (audit + signed webhook). See docs/budgets.md.
 */
export {
  BUDGET_POLICY_CHANGES,
  BUDGET_POLICY_FIELDS,
  BUDGET_THRESHOLDS,
  BudgetPolicyContentSchema,
  OVERAGE_BEHAVIOURS,
  budgetPolicyContentToJson,
  budgetScope,
  checkBudgetPolicyRules,
  diffBudgetPolicies,
  type BudgetPolicyChange,
  type BudgetPolicyContent,
  type BudgetPolicyFieldChange,
  type BudgetPolicyVersion,
  type BudgetThreshold,
  type OverageBehaviour,
} from './budget-policy.js'
export {
  BUDGET_DECISIONS,
  BUDGET_REASONS,
  decideBudget,
  isBlocked,
  mostSevereDecision,
  type BudgetDecision,
  type BudgetDecisionKind,
  type BudgetInput,
  type BudgetPolicyRef,
  type BudgetReason,
} from './decide-budget.js'
export {
  configuredThresholds,
  detectCrossings,
  stateAt,
  type ThresholdCrossing,
  type ThresholdState,
} from './threshold-crossings.js'
export {
  BudgetBlockedError,
  BudgetPolicyNotFoundError,
  HardCapChangeError,
} from './budget-errors.js'
export {
  EMPTY_BUDGET_POLICY,
  createBudgetPoliciesService,
  type BudgetPoliciesService,
  type BudgetPoliciesServiceDeps,
  type BudgetPolicyScope,
} from './budget-policies.service.js'
export { createBudgetBook, type BudgetBook, type RequestBudgetPolicies } from './budget-book.js'
export {
  THRESHOLD_ACTOR_ID,
  createThresholdEvents,
  type ThresholdCrossingEvent,
  type ThresholdEvents,
  type ThresholdEventsDeps,
} from './threshold-events.js'
export {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  createWebhookSender,
  signWebhookBody,
  verifyWebhookSignature,
  type WebhookSender,
  type WebhookSenderOptions,
} from './budget-webhook.js'
export {
  enforcedMonthlyLimits,
  hasMonthlyLimits,
  monthlyRefusalReason,
  type EnforcedMonthlyLimits,
} from './monthly-limits.js'
export {
  MonthlyLimitReachedError,
  createSharedMonthTotals,
  type LimitedScope,
  type MonthlyReservation,
  type ScopeTotals,
  type SharedMonthTotals,
} from './shared-month-totals.js'
