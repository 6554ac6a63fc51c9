/**
 * `budget_month_totals` (migration 0015): per budget scope (`org:…`, `key:…`) and UTC month
 * (`YYYY-MM`), the spend and tokens settled and those reserved by requests in flight. Written
 * only with `billing.holds: database` (several processes): the monthly caps' shared counter.
 */
export interface BudgetMonthTotalsTable {
  scope: string
  month: string
  spend_micros: bigint
  tokens: bigint
  reserved_spend_micros: bigint
  reserved_tokens: bigint
}

/**
 * `budget_reservations`: one row per request in flight that reserved against a monthly cap,
 * deleted (and its amounts taken off the totals) when the request settles or when it expires.
 */
export interface BudgetReservationsTable {
  /** `bres_…` */
  reservation_id: string
  month: string
  /** JSON array of the scopes reserved on, sorted. */
  scopes_json: string
  spend_micros: bigint
  tokens: bigint
  expires_at: string
  created_at: string
}

export interface MonthTotalsTables {
  budget_month_totals: BudgetMonthTotalsTable
  budget_reservations: BudgetReservationsTable
}
