/**
 * Usage events: one row per authenticated /v1 request, written with its settlement, and the
 * reads over them (pages, aggregates, the CSV export, evidence, month-to-date seeding).
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
export { enqueueUsageEvents } from './usage-outbox.js'
export {
  HTTP_STATUS_CLASSES,
  USAGE_GROUPINGS,
  ZERO_USAGE_TOTALS,
  decodeUsageCursor,
  encodeUsageCursor,
  type HttpStatusClass,
  type ScopeUsage,
  type UsageAggregate,
  type UsageCursor,
  type UsageFilter,
  type UsageGrouping,
  type UsageTotals,
} from './usage-query.js'
export {
  CSV_LINE_END,
  USAGE_CSV_COLUMNS,
  USAGE_EXPORT_VERSION,
  csvCell,
  microsToDecimal,
  usageCsvHeader,
  usageEventCsvLine,
  type UsageCsvColumn,
} from './usage-csv.js'
export {
  aggregateUsageEvents,
  findUsageEventsOfRequest,
  findUsageEventsPage,
  insertUsageEvents,
  iterateUsageEvents,
  selectUsageEvents,
  sumUsageByScope,
  sumUsageEvents,
} from './usage.repository.js'
export {
  createUsageService,
  type UsageExport,
  type UsageExportRequest,
  type UsagePage,
  type UsageService,
  type UsageServiceDeps,
} from './usage.service.js'
