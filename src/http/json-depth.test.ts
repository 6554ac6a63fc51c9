import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nestsDeeperThan } from './json-depth.js'

/** The nesting depth of a parsed JSON value: objects and arrays count, scalars do not. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  const children = Array.isArray(value) ? value : Object.values(value)
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0)
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value, for any JSON and any limit', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'large' }), fc.nat(12), (text, limit) => {
        expect(nestsDeeperThan(text, limit)).toBe(depthOf(JSON.parse(text)) > limit)
      }),
      { numRuns: 500 },
    )
  })

  it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
    expect(nestsDeeperThan('{"a":"[[[[{{{{"}', 1)).toBe(false)
    expect(nestsDeeperThan('{"a":"\\"[[[[","b":"\\\\"}', 1)).toBe(false)
    expect(nestsDeeperThan('{"a":"\\\\",  "b":[[1]]}', 2)).toBe(true)
    expect(nestsDeeperThan('["\\\\\\"[[[["]', 1)).toBe(false)
  })

  it('answers for text that is not JSON too (the parser refuses it after)', () => {
    expect(nestsDeeperThan('[[[[', 3)).toBe(true)
    expect(nestsDeeperThan('"unterminated [[[[', 1)).toBe(false)
    expect(nestsDeeperThan(']]]][', 1)).toBe(false)
  })
})
