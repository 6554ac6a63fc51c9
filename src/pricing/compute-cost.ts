import { ceilDiv, type Micros } from '../billing/money.js'
import type { PriceRow } from './price-table.js'

/**
 * The price that applies to one request: the rates of the matching row, the organization's
 * markup (0 when the row came from the organization's own override), and the versions that
 * decided it (recorded on the usage event).
 */
export interface EffectivePrice {
  readonly row: PriceRow
  /** Basis points on top of the row's prices (−10000 … 1000000). */
  readonly markupBps: number
  /** The base price table version in force. */
  readonly priceTableVersion: number
  /** The organization's override version in force, if it has one. */
  readonly overrideVersion: number | null
  /** Where the row came from. */
  readonly source: 'base' | 'override'
  /** `3` or `3+org_…@2`: both versions in one string, for usage rows and logs. */
  readonly versionLabel: string
}

/**
 * Token counts as OpenAI reports them: `cachedTokens` are part of `promptTokens`, and
 * `reasoningTokens` are part of `completionTokens`.
 */
export interface TokenUsage {
  readonly promptTokens: number
  readonly cachedTokens: number
  readonly completionTokens: number
  readonly reasoningTokens: number
}

export const COST_COMPONENTS = ['input', 'cached_input', 'output', 'reasoning'] as const
export type CostComponent = (typeof COST_COMPONENTS)[number]

/** One line of a cost: tokens × rate (per 1M tokens, before markup), rounded up once. */
export interface CostLine {
  readonly component: CostComponent
  readonly tokens: bigint
  readonly microsPer1M: Micros
  readonly costMicros: Micros
}

export interface PricedUsage {
  /** The sum of the lines. */
  readonly costMicros: Micros
  readonly lines: readonly CostLine[]
  readonly markupBps: number
  readonly priceTableVersion: number
  readonly overrideVersion: number | null
  readonly versionLabel: string
}

const BPS = 10_000n
const TOKENS_PER_PRICE = 1_000_000n
const DENOMINATOR = TOKENS_PER_PRICE * BPS

/**
 * The one rounding rule (src/billing/money.ts): each line item is
 * `ceil(tokens × microsPer1M × (10000 + markupBps) / (1_000_000 × 10000))`, computed exactly in
 * bigint and rounded **up** once; the total is the plain sum of the lines. Without markup this is
 * exactly `costOfTokens`.
 */
export function lineCost(line: { tokens: bigint; microsPer1M: Micros; markupBps: number }): Micros {
  if (line.tokens < 0n || line.microsPer1M < 0n) throw new RangeError('never negative')
  return ceilDiv(line.tokens * line.microsPer1M * (BPS + BigInt(line.markupBps)), DENOMINATOR)
}

function count(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a whole number of tokens, got ${value}`)
  return BigInt(value)
}

/**
 * The cost of a request's usage at `price`. Cached tokens are priced at the cached-input rate
 * (input rate when the row has none) and the rest of the prompt at the input rate; reasoning
 * tokens at the reasoning rate (output rate when none) and the rest of the completion at the
 * output rate. A part larger than its whole (an upstream that reports more cached tokens than
 * prompt tokens) is capped at the whole, so no count is ever negative or counted twice.
 * @example priceUsage({ price, usage: { promptTokens: 1000, cachedTokens: 0, completionTokens: 200, reasoningTokens: 0 } }).costMicros
 */
export function priceUsage(options: { price: EffectivePrice; usage: TokenUsage }): PricedUsage {
  const { price, usage } = options
  const { row, markupBps } = price
  const prompt = count(usage.promptTokens, 'promptTokens')
  const completion = count(usage.completionTokens, 'completionTokens')
  const cached = minBig(count(usage.cachedTokens, 'cachedTokens'), prompt)
  const reasoning = minBig(count(usage.reasoningTokens, 'reasoningTokens'), completion)
  const parts: [CostComponent, bigint, Micros][] = [
    ['input', prompt - cached, row.inputMicrosPer1M],
    ['cached_input', cached, row.cachedInputMicrosPer1M ?? row.inputMicrosPer1M],
    ['output', completion - reasoning, row.outputMicrosPer1M],
    ['reasoning', reasoning, row.reasoningMicrosPer1M ?? row.outputMicrosPer1M],
  ]
  const lines: CostLine[] = parts.map(([component, tokens, microsPer1M]) => ({
    component,
    tokens,
    microsPer1M,
    costMicros: lineCost({ tokens, microsPer1M, markupBps }),
  }))
  return {
    costMicros: lines.reduce((sum, line) => sum + line.costMicros, 0n),
    lines,
    markupBps,
    priceTableVersion: price.priceTableVersion,
    overrideVersion: price.overrideVersion,
    versionLabel: price.versionLabel,
  }
}

/**
 * The most a request can cost (what a hold reserves): every prompt token at the dearer of the
 * input and cached-input rates, every completion token at the dearer of the output and
 * reasoning rates, plus one micro per side for the per-line rounding of a split. For any usage
 * with `promptTokens ≤ promptTokens` and `completionTokens ≤ maxOutputTokens`,
 * `priceUsage(…).costMicros ≤ maxCost(…)`.
 */
export function maxCost(options: {
  price: EffectivePrice
  promptTokens: number
  maxOutputTokens: number
}): Micros {
  const { row, markupBps } = options.price
  const prompt = count(options.promptTokens, 'promptTokens')
  const output = count(options.maxOutputTokens, 'maxOutputTokens')
  const inputRate = maxBig(row.inputMicrosPer1M, row.cachedInputMicrosPer1M ?? 0n)
  const outputRate = maxBig(row.outputMicrosPer1M, row.reasoningMicrosPer1M ?? 0n)
  const slack = (tokens: bigint, rate: Micros) => (tokens > 0n && rate > 0n ? 1n : 0n)
  return (
    lineCost({ tokens: prompt, microsPer1M: inputRate, markupBps }) +
    slack(prompt, inputRate) +
    lineCost({ tokens: output, microsPer1M: outputRate, markupBps }) +
    slack(output, outputRate)
  )
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
