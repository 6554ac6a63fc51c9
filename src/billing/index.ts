/**
 * The prepaid ledger: money (bigint micros, one rounding rule), accounts and immutable entries,
 * holds atomic against the balance, settlement by versioned rules with group commit, and the
 * audited admin operations (credit, refund, void, adjustment, approvals, invoices).
 */
export {
  MICROS_PER_UNIT,
  ceilDiv,
  costOfTokens,
  formatDecimalAmount,
  isMicrosString,
  maxMicros,
  minMicros,
  parseDecimalAmount,
  parseMicros,
  sumMicros,
  type Micros,
} from './money.js'
export {
  SETTLEMENT_OUTCOMES,
  SETTLEMENT_RULES,
  SETTLEMENT_RULES_VERSION,
  decideSettlement,
  type SettlementDecision,
  type SettlementOutcome,
} from './settlement-rules.js'
export {
  BILLING_ENVIRONMENTS,
  COUNTER_ACCOUNTS,
  CREDIT_CATEGORIES,
  LEDGER_ENTRY_KINDS,
  type BillingEnvironment,
  type CreditCategory,
  type LedgerAccount,
  type LedgerEntry,
  type LedgerEntryKind,
} from './ledger-entry.js'
export {
  AlreadyVoidedError,
  ApprovalNotFoundError,
  ApprovalNotUsableError,
  ApprovalRequiredError,
  HoldAlreadyResolvedError,
  IdempotencyKeyReusedError,
  InsufficientBalanceError,
  InsufficientQuotaError,
  LedgerEntryNotFoundError,
  NotRefundableError,
  NotVoidableError,
  RefundExceedsChargeError,
  SelfApprovalError,
} from './billing-errors.js'
export {
  HOLD_STRATEGIES,
  type AlongsideHold,
  type BalanceHolds,
  type Hold,
  type HoldState,
  type HoldStrategy,
  type InsufficientFunds,
  type PlaceHoldInput,
  type SettleInput,
} from './balance-holds.js'
export {
  APPROVABLE_ACTIONS,
  type AdjustmentInput,
  type ApprovableAction,
  type BillingActor,
  type BillingApproval,
  type CreditInput,
  type LedgerService,
  type RefundInput,
} from './ledger.service.js'
export {
  INVOICE_CSV_HEADER,
  INVOICE_MONTH,
  buildInvoice,
  invoiceCsvLines,
  isInvoiceMonth,
  monthPeriod,
  type Invoice,
  type InvoiceLine,
} from './invoice.js'
export {
  DEFAULT_BILLING_SETTINGS,
  billingSettingsFrom,
  createBilling,
  type Billing,
  type BillingConfig,
  type BillingSettings,
} from './billing.service.js'
export {
  claimBalanceOwnership,
  BalancesOwnedElsewhereError,
  type BalanceOwnership,
} from './balance-ownership.js'
export { findCommittedBalance } from './ledger.repository.js'
