import { z } from 'zod'
import type { Micros } from '../billing/money.js'
import { ZOD_CUSTOM_ISSUE } from '../lib/zod-custom-issue.js'

/**
 * Prices are integer **micros per million tokens** (1 USD = 1_000_000 micros, see
 * src/billing/money.ts): $0.15 per 1M tokens is `150000`, $0.075 is `75000`. One micro per
 * million tokens ($0.000001 / 1M) is the finest price, far below any real one, so no extra
 * scale is needed. On the wire and in stored JSON a price is a decimal string.
 */
export const MAX_PRICE_MICROS_PER_1M = 1_000_000_000_000n // $1,000,000 per 1M tokens

/** Where a price row applies: one provider account by name, every account of a kind, or any. */
export type ProviderSelector =
  | { readonly kind: 'account'; readonly name: string }
  | { readonly kind: 'provider_kind'; readonly providerKind: string }
  | { readonly kind: 'any' }

/**
 * One row of a price table: the price of an upstream model (exact name, or a trailing-`*`
 * prefix: `gpt-4o*`, `*` alone matches every model) on the selected providers.
 */
export interface PriceRow {
  readonly provider: ProviderSelector
  readonly model: string
  /** A deliberate zero price (self-hosted models); every price below is then 0. */
  readonly free: boolean
  readonly inputMicrosPer1M: Micros
  /** Cached input tokens; null: billed as input. */
  readonly cachedInputMicrosPer1M: Micros | null
  readonly outputMicrosPer1M: Micros
  /** Reasoning tokens where billed separately; null: billed as output. */
  readonly reasoningMicrosPer1M: Micros | null
}

/** What a price row is looked up by: the provider account that serves and the upstream model. */
export interface PriceTarget {
  /** The provider account's name (`openai-prod`). */
  readonly providerAccount: string
  /** The account's kind (`openai`, `anthropic`, `mock`, …). */
  readonly providerKind: string
  /** The model sent upstream. */
  readonly model: string
}

/** A price table's content: the base table (platform) or an organization's override. */
export interface PriceTableContent {
  readonly rows: readonly PriceRow[]
  /**
   * Overrides only: basis points added to (or, negative, taken off) the base price of every
   * model the override has no row for. 0 for the base table. Rows of the override are used
   * as they are.
   */
  readonly markupBps: number
}

export const MIN_MARKUP_BPS = -10_000
export const MAX_MARKUP_BPS = 1_000_000

const MODEL_OR_PREFIX = /^(?:[^\s*\p{Cc}]{1,256}|[^\s*\p{Cc}]{0,255}\*)$/u
const ACCOUNT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/
const PROVIDER_KIND = /^[a-z0-9-]{1,64}$/

/** A non-negative amount of micros: a decimal string or a safe integer. */
export const MicrosSchema = z
  .union([
    z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a whole number of micros'),
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value <= 9_223_372_036_854_775_807n, 'is too large')

const PriceSchema = MicrosSchema.refine(
  (value) => value <= MAX_PRICE_MICROS_PER_1M,
  `must be at most ${MAX_PRICE_MICROS_PER_1M} micros per 1M tokens`,
)

/**
 * One row as the admin API and the stored JSON write it. `providerAccount` and `providerKind`
 * are exclusive; neither means any provider. A `free: true` row carries no prices.
 */
export const PriceRowInputSchema = z
  .strictObject({
    providerAccount: z.string().regex(ACCOUNT_NAME, 'must be a provider account name').optional(),
    providerKind: z.string().regex(PROVIDER_KIND, 'must be a provider kind').optional(),
    model: z.string().regex(MODEL_OR_PREFIX, 'must be a model name or a trailing-* prefix'),
    free: z.boolean().optional(),
    inputMicrosPer1M: PriceSchema.optional(),
    cachedInputMicrosPer1M: PriceSchema.optional(),
    outputMicrosPer1M: PriceSchema.optional(),
    reasoningMicrosPer1M: PriceSchema.optional(),
  })
  .superRefine((row, ctx) => {
    if (row.providerAccount !== undefined && row.providerKind !== undefined)
      ctx.addIssue({
        code: ZOD_CUSTOM_ISSUE,

        path: ['providerKind'],
        message: 'give providerAccount or providerKind, not both',
      })
    if (row.free === true) {
      for (const field of PRICE_FIELDS) {
        if (row[field] !== undefined && row[field] !== 0n)
          ctx.addIssue({
            code: ZOD_CUSTOM_ISSUE,
            path: [field],
            message: 'a free row has no prices',
          })
      }
      return
    }
    for (const field of ['inputMicrosPer1M', 'outputMicrosPer1M'] as const) {
      if (row[field] === undefined)
        ctx.addIssue({
          code: ZOD_CUSTOM_ISSUE,

          path: [field],
          message: 'is required (or mark the row `free: true` for a deliberate zero price)',
        })
    }
  })
  .transform((row): PriceRow => toPriceRow(row))

const PRICE_FIELDS = [
  'inputMicrosPer1M',
  'cachedInputMicrosPer1M',
  'outputMicrosPer1M',
  'reasoningMicrosPer1M',
] as const

function toPriceRow(row: {
  providerAccount?: string | undefined
  providerKind?: string | undefined
  model: string
  free?: boolean | undefined
  inputMicrosPer1M?: bigint | undefined
  cachedInputMicrosPer1M?: bigint | undefined
  outputMicrosPer1M?: bigint | undefined
  reasoningMicrosPer1M?: bigint | undefined
}): PriceRow {
  const provider: ProviderSelector =
    row.providerAccount !== undefined
      ? { kind: 'account', name: row.providerAccount }
      : row.providerKind !== undefined
        ? { kind: 'provider_kind', providerKind: row.providerKind }
        : { kind: 'any' }
  const free = row.free === true
  return {
    provider,
    model: row.model,
    free,
    inputMicrosPer1M: free ? 0n : (row.inputMicrosPer1M ?? 0n),
    cachedInputMicrosPer1M: free ? null : (row.cachedInputMicrosPer1M ?? null),
    outputMicrosPer1M: free ? 0n : (row.outputMicrosPer1M ?? 0n),
    reasoningMicrosPer1M: free ? null : (row.reasoningMicrosPer1M ?? null),
  }
}

export const MarkupBpsSchema = z.number().int().min(MIN_MARKUP_BPS).max(MAX_MARKUP_BPS)

/** At most this many rows per table: lookups stay a short scan. */
export const MAX_PRICE_ROWS = 5_000

export const PriceRowsSchema = z.array(PriceRowInputSchema).max(MAX_PRICE_ROWS)

/** The JSON form of a row: prices as decimal strings, absent fields left out. */
export function priceRowToJson(row: PriceRow): Record<string, unknown> {
  return {
    ...(row.provider.kind === 'account' ? { providerAccount: row.provider.name } : {}),
    ...(row.provider.kind === 'provider_kind' ? { providerKind: row.provider.providerKind } : {}),
    model: row.model,
    ...(row.free
      ? { free: true }
      : {
          inputMicrosPer1M: row.inputMicrosPer1M.toString(),
          ...(row.cachedInputMicrosPer1M !== null
            ? { cachedInputMicrosPer1M: row.cachedInputMicrosPer1M.toString() }
            : {}),
          outputMicrosPer1M: row.outputMicrosPer1M.toString(),
          ...(row.reasoningMicrosPer1M !== null
            ? { reasoningMicrosPer1M: row.reasoningMicrosPer1M.toString() }
            : {}),
        }),
  }
}

/** `account:openai-prod`, `kind:openai` or `any`, then the model: the row's identity. */
export function priceRowKey(row: Pick<PriceRow, 'provider' | 'model'>): string {
  return `${selectorKey(row.provider)} ${row.model}`
}

function selectorKey(selector: ProviderSelector): string {
  switch (selector.kind) {
    case 'account':
      return `account:${selector.name}`
    case 'provider_kind':
      return `kind:${selector.providerKind}`
    case 'any':
      return 'any'
  }
}

/** Rows in a stable order (by key), so the same set of rows always hashes the same. */
export function sortPriceRows(rows: readonly PriceRow[]): PriceRow[] {
  return [...rows].sort((a, b) => {
    const ka = priceRowKey(a)
    const kb = priceRowKey(b)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
}

/** Keys that appear more than once: two rows for the same provider and model are ambiguous. */
export function duplicatePriceRows(rows: readonly PriceRow[]): string[] {
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const row of rows) {
    const key = priceRowKey(row)
    if (seen.has(key)) duplicates.add(key)
    seen.add(key)
  }
  return [...duplicates]
}

function providerRank(selector: ProviderSelector): number {
  switch (selector.kind) {
    case 'account':
      return 2
    case 'provider_kind':
      return 1
    case 'any':
      return 0
  }
}

function matchesProvider(selector: ProviderSelector, target: PriceTarget): boolean {
  switch (selector.kind) {
    case 'account':
      return selector.name === target.providerAccount
    case 'provider_kind':
      return selector.providerKind === target.providerKind
    case 'any':
      return true
  }
}

function matchesModel(pattern: string, model: string): boolean {
  return pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : pattern === model
}

/**
 * Order rows so that the first match is the most specific: a provider account's row before a
 * provider kind's before any provider's; then an exact model before a prefix, and a longer
 * prefix before a shorter one.
 */
export function byPrecedence(rows: readonly PriceRow[]): PriceRow[] {
  const modelRank = (model: string) => (model.endsWith('*') ? model.length - 1 : 1_000_000)
  return [...rows].sort(
    (a, b) =>
      providerRank(b.provider) - providerRank(a.provider) ||
      modelRank(b.model) - modelRank(a.model),
  )
}

/**
 * The row that prices `target` among rows already in precedence order (see byPrecedence).
 * @example findPriceRow(byPrecedence(rows), { providerAccount: 'openai-prod', providerKind: 'openai', model: 'gpt-4o-mini' })
 */
export function findPriceRow(
  orderedRows: readonly PriceRow[],
  target: PriceTarget,
): PriceRow | undefined {
  return orderedRows.find(
    (row) => matchesProvider(row.provider, target) && matchesModel(row.model, target.model),
  )
}

/** The targets that no row prices: what a publish refuses. */
export function findUnpricedTargets(
  rows: readonly PriceRow[],
  targets: readonly PriceTarget[],
): PriceTarget[] {
  const ordered = byPrecedence(rows)
  return targets.filter((target) => findPriceRow(ordered, target) === undefined)
}

/** The content as stored (canonical JSON input): rows sorted, prices as strings. */
export function priceTableContentToJson(content: PriceTableContent): Record<string, unknown> {
  return {
    markupBps: content.markupBps,
    rows: sortPriceRows(content.rows).map(priceRowToJson),
  }
}

const StoredContentSchema = z.strictObject({
  markupBps: MarkupBpsSchema,
  rows: PriceRowsSchema,
})

/** Parse stored content back (it was written by priceTableContentToJson). */
export function parsePriceTableContent(json: string): PriceTableContent {
  return StoredContentSchema.parse(JSON.parse(json))
}
