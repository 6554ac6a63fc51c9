import { describe, expect, it } from 'vitest'
import {
  assertInvalidationMessage,
  decodeInvalidation,
  dedupeInvalidations,
  encodeInvalidation,
  isInvalidationMessage,
} from './encode-invalidation.js'

describe('invalidation messages', () => {
  it('round-trip through the wire payload', () => {
    for (const message of [
      { kind: 'key', id: 'k1' },
      { kind: 'organization', id: 'org_1' },
      { kind: 'route-policy', id: 'rp_1' },
      { kind: 'budget-policy', id: 'bp_1' },
      { kind: 'all' },
    ] as const) {
      expect(decodeInvalidation(encodeInvalidation({ origin: 'o1', message }))).toEqual({
        origin: 'o1',
        message,
      })
    }
  })

  it('distrusts malformed payloads', () => {
    for (const payload of [
      'not json',
      'null',
      '[]',
      '{"o":"x","k":"key"}',
      '{"o":"x","k":"key","i":""}',
      '{"o":"x","k":"drop-table","i":"a"}',
      '{"k":"all"}',
      `{"o":"x","k":"key","i":"${'a'.repeat(201)}"}`,
    ]) {
      expect(decodeInvalidation(payload), payload).toBeUndefined()
    }
  })

  it('refuses to publish a malformed message', () => {
    expect(isInvalidationMessage({ kind: 'key', id: 'k' })).toBe(true)
    expect(() => assertInvalidationMessage({ kind: 'key' })).toThrow(TypeError)
  })

  it('collapses duplicates, and everything into all', () => {
    expect(
      dedupeInvalidations([
        { kind: 'key', id: 'a' },
        { kind: 'key', id: 'a' },
        { kind: 'organization', id: 'a' },
      ]),
    ).toEqual([
      { kind: 'key', id: 'a' },
      { kind: 'organization', id: 'a' },
    ])
    expect(dedupeInvalidations([{ kind: 'key', id: 'a' }, { kind: 'all' }])).toEqual([
      { kind: 'all' },
    ])
  })
})
