/**
 * Pricing: versioned price tables (per provider model, micros per 1M tokens), per-organization
 * overrides and markup, the pure cost functions the request path calls, and the in-memory
 * price book. See docs/pricing.md.
 */
export {
  MAX_MARKUP_BPS,
  MAX_PRICE_MICROS_PER_1M,
  MIN_MARKUP_BPS,
  MarkupBpsSchema,
  MicrosSchema,
  PriceRowInputSchema,
  PriceRowsSchema,
  findPriceRow,
  byPrecedence,
  priceRowToJson,
  type PriceRow,
  type PriceTableContent,
  type PriceTarget,
  type ProviderSelector,
} from './price-table.js'
export {
  COST_COMPONENTS,
  lineCost,
  maxCost,
  priceUsage,
  type CostComponent,
  type CostLine,
  type EffectivePrice,
  type PricedUsage,
  type TokenUsage,
} from './compute-cost.js'
export {
  EMPTY_PRICE_SNAPSHOT,
  compilePriceTable,
  resolvePrice,
  type CompiledPriceTable,
  type PriceLookupMiss,
  type PriceSnapshot,
} from './resolve-price.js'
export {
  DuplicatePriceRowError,
  MissingPricesError,
  PriceNotConfiguredError,
  PriceTableNotFoundError,
} from './pricing-errors.js'
export {
  createPricingService,
  type PriceCoverage,
  type PriceTableVersion,
  type PricingService,
  type PricingServiceDeps,
} from './pricing.service.js'
export { createPriceBook, type PriceBook } from './price-book.js'
