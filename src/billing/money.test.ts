import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ceilDiv,
  costOfTokens,
  formatDecimalAmount,
  parseDecimalAmount,
  parseMicros,
} from './money.js'

describe('money', () => {
  it('rounds a line item up to the next micro, once', () => {
    expect(costOfTokens({ tokens: 1234n, pricePerMillionMicros: 150_000n })).toBe(186n)
    expect(costOfTokens({ tokens: 1_000_000n, pricePerMillionMicros: 150_000n })).toBe(150_000n)
    expect(costOfTokens({ tokens: 0n, pricePerMillionMicros: 150_000n })).toBe(0n)
    expect(costOfTokens({ tokens: 1n, pricePerMillionMicros: 1n })).toBe(1n)
  })

  it('never charges less than the exact cost and never a whole micro more', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (tokens, price) => {
          const cost = costOfTokens({ tokens, pricePerMillionMicros: price })
          const exact = tokens * price
          expect(cost * 1_000_000n >= exact).toBe(true)
          expect((cost - 1n) * 1_000_000n < exact || cost === 0n).toBe(true)
        },
      ),
    )
  })

  it('refuses negative inputs', () => {
    expect(() => costOfTokens({ tokens: -1n, pricePerMillionMicros: 1n })).toThrow(RangeError)
    expect(() => ceilDiv(1n, 0n)).toThrow(RangeError)
  })

  it('parses and formats decimal amounts exactly', () => {
    expect(parseDecimalAmount('12.5')).toBe(12_500_000n)
    expect(parseDecimalAmount('-0.000001')).toBe(-1n)
    expect(() => parseDecimalAmount('0.0000001')).toThrow(RangeError)
    expect(() => parseDecimalAmount('1e3')).toThrow(RangeError)
    expect(formatDecimalAmount(12_500_000n)).toBe('12.500000')
    expect(formatDecimalAmount(-1n)).toBe('-0.000001')
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), (m) => {
        expect(parseDecimalAmount(formatDecimalAmount(m))).toBe(m)
      }),
    )
  })

  it('parses strings of micros and nothing else', () => {
    expect(parseMicros('1500000')).toBe(1_500_000n)
    expect(parseMicros('-20')).toBe(-20n)
    for (const bad of ['', '01', '1.5', ' 1', '1e6', '0x10'])
      expect(() => parseMicros(bad)).toThrow()
  })
})
