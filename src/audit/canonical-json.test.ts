import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops white space', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: { z: 1, y: 2 } })).toBe(
      '{"A":{"y":2,"z":1},"a":[true,null,"x"],"b":1}',
    )
    // RFC 8785 §3.2.3 example ordering: code units, not code points or locale.
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\u00f6': 4 })).toBe(
      '{"\\r":2,"ö":4,"€":1,"😀":3}',
    )
  })

  it('writes numbers as ECMAScript does and refuses what JSON cannot hold', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7])).toBe('[1e+21,0.1,0,1.5e-7]')
    expect(() => canonicalJson(Number.NaN)).toThrow()
    expect(() => canonicalJson(10n)).toThrow()
  })

  it('is independent of key insertion order, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value)
        expect(canonicalJson(JSON.parse(text))).toBe(text)
      }),
    )
  })

  it('gives different encodings to different values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same = canonicalJson(a) === canonicalJson(b)
        if (same)
          expect(canonicalJson(JSON.parse(JSON.stringify(a)))).toBe(
            canonicalJson(JSON.parse(JSON.stringify(b))),
          )
      }),
    )
  })
})
