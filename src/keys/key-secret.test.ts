import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  KEY_ENVIRONMENTS,
  KEY_SECRET_PATTERN,
  generateKeyId,
  generateKeySecret,
  hashKeySecret,
  labelKeySecret,
  matchKeyHash,
  parseKeySecret,
  verifyKeySecret,
  type RandomBytes,
} from './key-secret.js'

const hashKey = Buffer.alloc(32, 7)
const otherHashKey = Buffer.alloc(32, 8)
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Deterministic bytes from a seed, so a failing property replays exactly. */
function seededRandom(seed: number): RandomBytes {
  let counter = 0
  return (size) => {
    const out = Buffer.alloc(size)
    for (let filled = 0; filled < size; filled += 32) {
      createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, filled)
    }
    return out
  }
}

const arbitraryKey = fc
  .record({ seed: fc.integer(), environment: fc.constantFrom(...KEY_ENVIRONMENTS) })
  .map(({ seed, environment }) =>
    generateKeySecret({ environment, hashKey, randomBytes: seededRandom(seed) }),
  )

describe('key secrets', () => {
  it('has the documented shape: prefix, 55 base62 characters, at least 192 random bits', () => {
    const key = generateKeySecret({ environment: 'live', hashKey })
    expect(key.secret).toMatch(/^fk_live_[0-9A-Za-z]{55}$/)
    expect(key.secret.slice(8, 24)).toBe(key.keyId)
    expect(33 * Math.log2(62)).toBeGreaterThanOrEqual(192)
    expect(generateKeySecret({ environment: 'test', hashKey }).secret).toMatch(/^fk_test_/)
  })

  it('round-trips: a generated secret parses to its environment and key ID', () => {
    fc.assert(
      fc.property(arbitraryKey, (key) => {
        expect(parseKeySecret(key.secret)).toEqual({
          environment: key.environment,
          keyId: key.keyId,
        })
        expect(verifyKeySecret(key.secret, key.hash, hashKey)).toBe(true)
        expect(key.hash).toEqual(hashKeySecret(key.secret, hashKey))
      }),
    )
  })

  it('detects any single-character typo offline', () => {
    fc.assert(
      fc.property(arbitraryKey, fc.nat(), fc.constantFrom(...`${BASE62}_-. `), (key, at, typed) => {
        const index = at % key.secret.length
        fc.pre(key.secret[index] !== typed)
        const typo = key.secret.slice(0, index) + typed + key.secret.slice(index + 1)
        expect(parseKeySecret(typo)).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
  })

  it('detects a dropped, doubled or swapped character', () => {
    fc.assert(
      fc.property(arbitraryKey, fc.nat(), (key, at) => {
        const s = key.secret
        const i = at % (s.length - 1)
        expect(parseKeySecret(s.slice(0, i) + s.slice(i + 1))).toBeUndefined()
        expect(parseKeySecret(s.slice(0, i) + s[i]! + s.slice(i))).toBeUndefined()
        fc.pre(s[i] !== s[i + 1])
        expect(parseKeySecret(s.slice(0, i) + s[i + 1]! + s[i]! + s.slice(i + 2))).toBeUndefined()
      }),
      { numRuns: 1000 },
    )
  })

  it('rejects what is not a Ferry key', () => {
    for (const text of [
      '',
      'fk_live_',
      'sk-proj-abc',
      'fk_prod_' + 'a'.repeat(55),
      'x'.repeat(63),
    ]) {
      expect(parseKeySecret(text)).toBeUndefined()
    }
    const key = generateKeySecret({ environment: 'live', hashKey })
    expect(parseKeySecret(` ${key.secret}`)).toBeUndefined()
    expect(parseKeySecret(`${key.secret}\n`)).toBeUndefined()
  })

  it('labels never reveal more than the prefix and the last four characters', () => {
    fc.assert(
      fc.property(arbitraryKey, (key) => {
        const prefix = `fk_${key.environment}_`
        expect(key.label).toBe(`${prefix}…${key.secret.slice(-4)}`)
        expect(labelKeySecret(key.secret)).toBe(key.label)
        // Nothing of the key ID or the random part appears.
        const revealed = key.label.slice(prefix.length + 1)
        expect(revealed).toHaveLength(4)
        expect(key.label).not.toContain(key.keyId.slice(0, 5))
      }),
    )
  })

  it('verifies only under the same hash key and the same secret', () => {
    const key = generateKeySecret({ environment: 'live', hashKey })
    const other = generateKeySecret({ environment: 'live', hashKey })
    expect(verifyKeySecret(key.secret, key.hash, otherHashKey)).toBe(false)
    expect(verifyKeySecret(other.secret, key.hash, hashKey)).toBe(false)
    expect(verifyKeySecret(key.secret, key.hash.subarray(0, 16), hashKey)).toBe(false)
  })

  it('keeps the key ID on rotation and accepts the old secret only inside its grace period', () => {
    const first = generateKeySecret({ environment: 'live', hashKey })
    const rotated = generateKeySecret({ environment: 'live', hashKey, keyId: first.keyId })
    expect(rotated.keyId).toBe(first.keyId)
    expect(rotated.secret).not.toBe(first.secret)
    const hashes = { hash: rotated.hash, previousHash: first.hash, previousHashExpiresAtMs: 1000 }
    expect(matchKeyHash(rotated.hash, hashes, 999)).toBe('current')
    expect(matchKeyHash(first.hash, hashes, 999)).toBe('previous')
    expect(matchKeyHash(first.hash, hashes, 1000)).toBeUndefined()
    expect(matchKeyHash(first.hash, { hash: rotated.hash }, 0)).toBeUndefined()
    expect(() => generateKeySecret({ environment: 'live', hashKey, keyId: 'short' })).toThrow(
      TypeError,
    )
  })

  it('draws key IDs and secrets uniformly from base62', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 2000; i++) {
      for (const char of generateKeyId()) counts.set(char, (counts.get(char) ?? 0) + 1)
    }
    expect(counts.size).toBe(62)
    const expected = (2000 * 16) / 62
    for (const count of counts.values())
      expect(Math.abs(count - expected)).toBeLessThan(expected / 3)
  })

  it('lets scanners find keys in text', () => {
    const key = generateKeySecret({ environment: 'test', hashKey })
    const text = `curl -H "Authorization: Bearer ${key.secret}" https://ferry.example`
    const found = [...text.matchAll(new RegExp(KEY_SECRET_PATTERN, 'g'))].map((m) => m[0])
    expect(found).toEqual([key.secret])
    expect(parseKeySecret(found[0]!)).toBeDefined()
  })
})
