import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  lineCost,
  maxCost,
  priceUsage,
  type EffectivePrice,
  type TokenUsage,
} from './compute-cost.js'
import type { PriceRow } from './price-table.js'

function priceOf(row: Partial<PriceRow>, markupBps = 0): EffectivePrice {
  return {
    row: {
      provider: { kind: 'any' },
      model: '*',
      free: false,
      inputMicrosPer1M: 0n,
      cachedInputMicrosPer1M: null,
      outputMicrosPer1M: 0n,
      reasoningMicrosPer1M: null,
      ...row,
    },
    markupBps,
    priceTableVersion: 1,
    overrideVersion: null,
    source: 'base',
    versionLabel: '1',
  }
}

const GPT_4O_MINI = priceOf({
  inputMicrosPer1M: 150_000n,
  cachedInputMicrosPer1M: 75_000n,
  outputMicrosPer1M: 600_000n,
})

const usage = (u: Partial<TokenUsage>): TokenUsage => ({
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
  ...u,
})

/** The oracle: exact rational cost per line, rounded up per line, with plain bigint math. */
function oracle(price: EffectivePrice, u: TokenUsage): bigint {
  const r = price.row
  const cached = BigInt(Math.min(u.cachedTokens, u.promptTokens))
  const reasoning = BigInt(Math.min(u.reasoningTokens, u.completionTokens))
  const lines: [bigint, bigint][] = [
    [BigInt(u.promptTokens) - cached, r.inputMicrosPer1M],
    [cached, r.cachedInputMicrosPer1M ?? r.inputMicrosPer1M],
    [BigInt(u.completionTokens) - reasoning, r.outputMicrosPer1M],
    [reasoning, r.reasoningMicrosPer1M ?? r.outputMicrosPer1M],
  ]
  let total = 0n
  for (const [tokens, rate] of lines) {
    const numerator = tokens * rate * BigInt(10_000 + price.markupBps)
    const denominator = 10_000_000_000n
    total += numerator / denominator + (numerator % denominator === 0n ? 0n : 1n)
  }
  return total
}

const tokens = fc.integer({ min: 0, max: 50_000_000 })
const rate = fc.bigInt({ min: 0n, max: 100_000_000n })
const arbPrice = fc
  .record({
    inputMicrosPer1M: rate,
    cachedInputMicrosPer1M: fc.option(rate, { nil: null }),
    outputMicrosPer1M: rate,
    reasoningMicrosPer1M: fc.option(rate, { nil: null }),
    markupBps: fc.integer({ min: -10_000, max: 1_000_000 }),
  })
  .map(({ markupBps, ...row }) => priceOf(row, markupBps))
const arbUsage = fc.record({
  promptTokens: tokens,
  cachedTokens: tokens,
  completionTokens: tokens,
  reasoningTokens: tokens,
})

describe('priceUsage', () => {
  it('prices gpt-4o-mini usage line by line, rounding each line up to the micro', () => {
    const priced = priceUsage({
      price: GPT_4O_MINI,
      usage: usage({ promptTokens: 1234, cachedTokens: 1000, completionTokens: 77 }),
    })
    // 234 × 0.15 = 35.1 → 36; 1000 × 0.075 = 75; 77 × 0.6 = 46.2 → 47
    expect(priced.lines.map((l) => [l.component, l.tokens, l.costMicros])).toEqual([
      ['input', 234n, 36n],
      ['cached_input', 1000n, 75n],
      ['output', 77n, 47n],
      ['reasoning', 0n, 0n],
    ])
    expect(priced.costMicros).toBe(158n)
    expect(priced.versionLabel).toBe('1')
  })

  it('bills reasoning at the output rate unless the row prices it separately', () => {
    const u = usage({ completionTokens: 1_000_000, reasoningTokens: 400_000 })
    expect(priceUsage({ price: GPT_4O_MINI, usage: u }).costMicros).toBe(600_000n)
    const separate = priceOf({ outputMicrosPer1M: 600_000n, reasoningMicrosPer1M: 1_000_000n })
    expect(priceUsage({ price: separate, usage: u }).costMicros).toBe(360_000n + 400_000n)
  })

  it('applies a markup exactly, with one rounding per line', () => {
    // 1 token at 1 micro per 1M = 0.000001 micro; +50% = 0.0000015 → 1 micro
    expect(lineCost({ tokens: 1n, microsPer1M: 1n, markupBps: 5_000 })).toBe(1n)
    // 1M tokens at 150000 +12.5% = 168750 exactly
    expect(lineCost({ tokens: 1_000_000n, microsPer1M: 150_000n, markupBps: 1_250 })).toBe(168_750n)
    // a full discount makes everything free
    expect(lineCost({ tokens: 5n, microsPer1M: 999n, markupBps: -10_000 })).toBe(0n)
  })

  it('caps parts larger than their whole instead of going negative', () => {
    const priced = priceUsage({
      price: GPT_4O_MINI,
      usage: usage({ promptTokens: 10, cachedTokens: 50, completionTokens: 5, reasoningTokens: 9 }),
    })
    expect(priced.lines.every((l) => l.tokens >= 0n)).toBe(true)
    expect(priced.lines.find((l) => l.component === 'cached_input')!.tokens).toBe(10n)
  })

  it('refuses token counts that are not whole non-negative numbers', () => {
    expect(() => priceUsage({ price: GPT_4O_MINI, usage: usage({ promptTokens: -1 }) })).toThrow(
      RangeError,
    )
    expect(() => priceUsage({ price: GPT_4O_MINI, usage: usage({ promptTokens: 1.5 }) })).toThrow(
      RangeError,
    )
  })

  it('equals the bigint oracle, is never negative, and is the sum of its lines', () => {
    fc.assert(
      fc.property(arbPrice, arbUsage, (price, u) => {
        const priced = priceUsage({ price, usage: u })
        expect(priced.costMicros).toBe(oracle(price, u))
        expect(priced.costMicros >= 0n).toBe(true)
        expect(priced.lines.reduce((s, l) => s + l.costMicros, 0n)).toBe(priced.costMicros)
      }),
    )
  })

  it('rounds each line up by less than one micro', () => {
    fc.assert(
      fc.property(arbPrice, arbUsage, (price, u) => {
        for (const line of priceUsage({ price, usage: u }).lines) {
          const exactTimesDenominator =
            line.tokens * line.microsPer1M * BigInt(10_000 + price.markupBps)
          const denominator = 10_000_000_000n
          expect(line.costMicros * denominator >= exactTimesDenominator).toBe(true)
          expect((line.costMicros - 1n) * denominator < exactTimesDenominator).toBe(true)
        }
      }),
    )
  })

  it('is monotonic: more tokens of any kind never cost less', () => {
    fc.assert(
      fc.property(
        arbPrice,
        arbUsage,
        fc.record({
          field: fc.constantFrom('promptTokens' as const, 'completionTokens' as const),
          extra: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        (price, u, { field, extra }) => {
          const more = { ...u, [field]: u[field] + extra }
          expect(
            priceUsage({ price, usage: more }).costMicros >=
              priceUsage({ price, usage: u }).costMicros,
          ).toBe(true)
        },
      ),
    )
  })
})

describe('maxCost', () => {
  it('covers every usage within the prompt and max output tokens', () => {
    fc.assert(
      fc.property(arbPrice, arbUsage, (price, u) => {
        const hold = maxCost({
          price,
          promptTokens: u.promptTokens,
          maxOutputTokens: u.completionTokens,
        })
        expect(priceUsage({ price, usage: u }).costMicros <= hold).toBe(true)
      }),
    )
  })

  it('reserves the input and output at the dearer rates', () => {
    expect(
      maxCost({ price: GPT_4O_MINI, promptTokens: 1_000_000, maxOutputTokens: 1_000_000 }),
    ).toBe(150_000n + 1n + 600_000n + 1n)
    expect(maxCost({ price: GPT_4O_MINI, promptTokens: 0, maxOutputTokens: 0 })).toBe(0n)
  })
})
