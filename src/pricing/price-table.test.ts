import { describe, expect, it } from 'vitest'
import {
  PriceRowsSchema,
  byPrecedence,
  duplicatePriceRows,
  findPriceRow,
  findUnpricedTargets,
  parsePriceTableContent,
  priceTableContentToJson,
} from './price-table.js'
import { canonicalJson } from '../audit/canonical-json.js'

const rows = PriceRowsSchema.parse([
  { providerKind: 'openai', model: 'gpt-4o*', inputMicrosPer1M: '2500000', outputMicrosPer1M: 1 },
  {
    providerKind: 'openai',
    model: 'gpt-4o-mini',
    inputMicrosPer1M: 150000,
    outputMicrosPer1M: 600000,
  },
  { providerAccount: 'openai-eu', model: '*', inputMicrosPer1M: 9, outputMicrosPer1M: 9 },
  { model: 'llama-*', free: true },
])
const target = (providerAccount: string, providerKind: string, model: string) => ({
  providerAccount,
  providerKind,
  model,
})

describe('price rows', () => {
  it('picks the most specific row: account, then kind, then any; exact, then longest prefix', () => {
    const ordered = byPrecedence(rows)
    expect(findPriceRow(ordered, target('openai-prod', 'openai', 'gpt-4o-mini'))?.model).toBe(
      'gpt-4o-mini',
    )
    expect(findPriceRow(ordered, target('openai-prod', 'openai', 'gpt-4o-2024'))?.model).toBe(
      'gpt-4o*',
    )
    expect(findPriceRow(ordered, target('openai-eu', 'openai', 'gpt-4o-mini'))?.model).toBe('*')
    expect(findPriceRow(ordered, target('vllm', 'openai-compatible', 'llama-3'))?.free).toBe(true)
    expect(findPriceRow(ordered, target('vllm', 'openai-compatible', 'mistral'))).toBeUndefined()
  })

  it('lists unpriced targets and duplicate rows', () => {
    expect(
      findUnpricedTargets(rows, [
        target('a', 'anthropic', 'claude'),
        target('b', 'openai', 'gpt-4o'),
      ]).map((t) => t.model),
    ).toEqual(['claude'])
    expect(duplicatePriceRows([...rows, rows[0]!])).toEqual(['kind:openai gpt-4o*'])
  })

  it('refuses rows without prices unless free, and free rows with prices', () => {
    expect(PriceRowsSchema.safeParse([{ model: 'x', inputMicrosPer1M: 1 }]).success).toBe(false)
    expect(
      PriceRowsSchema.safeParse([{ model: 'x', free: true, inputMicrosPer1M: 5 }]).success,
    ).toBe(false)
    expect(PriceRowsSchema.safeParse([{ model: 'x', inputMicrosPer1M: 1.5 }]).success).toBe(false)
    expect(PriceRowsSchema.safeParse([{ model: 'a*b', free: true }]).success).toBe(false)
    expect(
      PriceRowsSchema.safeParse([
        { providerKind: 'openai', providerAccount: 'x', model: 'm', free: true },
      ]).success,
    ).toBe(false)
  })

  it('stores the same rows in any order as the same canonical content', () => {
    const a = canonicalJson(priceTableContentToJson({ rows, markupBps: 0 }))
    const b = canonicalJson(priceTableContentToJson({ rows: [...rows].reverse(), markupBps: 0 }))
    expect(a).toBe(b)
    expect(parsePriceTableContent(a).rows).toHaveLength(rows.length)
  })
})
