/**
 * Usage events: one row per authenticated /v1 request, written with its settlement, and the
 * reads over them (pages, aggregates, the CSV export, evidence).
 */
export type { UsageEventsTable, UsageTables } from './usage.table.js'
export {
  REFUND_STATES,
  TOKEN_SOURCES,
  draftToUsageRow,
  refundStateOf,
  rowToUsageEvent,
  type RefundState,
  type TokenSource,
  type UsageDraft,
  type UsageEvent,
  type UsageSettlementFacts,
} from './usage-event.js'
export {
  findUsageEventsOfRequest,
  insertUsageEvents,
  selectUsageEvents,
} from './usage.repository.js'
