import { describe, expect, it, vi } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import { createKeyCache, invalidateKeyCache, type CachedKey } from './key-cache.js'

interface TestKey extends CachedKey {
  readonly name: string
}

const key = (keyId: string, organizationId = 'org_1', name = keyId): TestKey => ({
  keyId,
  organizationId,
  name,
  hash: Buffer.alloc(32),
})

function setup(options: { maxEntries?: number; maxUnknownEntries?: number } = {}) {
  const clock = createManualClock()
  const cache = createKeyCache<TestKey>({ clock, ttlMs: 60_000, unknownTtlMs: 5_000, ...options })
  return { clock, cache }
}

/** A promise the test resolves by hand, to interleave a load with an invalidation. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe('key cache', () => {
  it('answers a cached key without calling the loader', async () => {
    const { cache } = setup()
    const loader = vi.fn((id: string) => Promise.resolve(key(id)))
    expect((await cache.load('k1', loader))?.keyId).toBe('k1')
    expect((await cache.load('k1', loader))?.keyId).toBe('k1')
    expect(loader).toHaveBeenCalledTimes(1)
    expect(cache.peek('k1')).toEqual({ status: 'hit', key: key('k1') })
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, loads: 1 })
  })

  it('remembers an unknown key ID for a short time only', async () => {
    const { cache, clock } = setup()
    const loader = vi.fn(() => Promise.resolve(undefined))
    for (let i = 0; i < 100; i++) expect(await cache.load('nope', loader)).toBeUndefined()
    expect(loader).toHaveBeenCalledTimes(1)
    expect(cache.peek('nope').status).toBe('unknown')
    clock.advance(5_000)
    expect(cache.peek('nope').status).toBe('miss')
    await cache.load('nope', loader)
    expect(loader).toHaveBeenCalledTimes(2)
  })

  it('shares one load among concurrent requests for the same key ID', async () => {
    const { cache } = setup()
    const pending = deferred<TestKey>()
    const loader = vi.fn(() => pending.promise)
    const results = Promise.all([cache.load('k1', loader), cache.load('k1', loader)])
    pending.resolve(key('k1'))
    expect((await results).map((k) => k?.keyId)).toEqual(['k1', 'k1'])
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('reloads a key once its TTL has passed', async () => {
    const { cache, clock } = setup()
    await cache.load('k1', () => Promise.resolve(key('k1', 'org_1', 'old')))
    clock.advance(60_000)
    const reloaded = await cache.load('k1', () => Promise.resolve(key('k1', 'org_1', 'new')))
    expect(reloaded?.name).toBe('new')
  })

  it('evicts the least recently used key beyond its bound', () => {
    const { cache } = setup({ maxEntries: 2 })
    cache.set(key('a'))
    cache.set(key('b'))
    expect(cache.peek('a').status).toBe('hit') // b is now the least recent
    cache.set(key('c'))
    expect(cache.peek('b').status).toBe('miss')
    expect(cache.peek('a').status).toBe('hit')
    expect(cache.peek('c').status).toBe('hit')
    expect(cache.size).toBe(2)
    expect(cache.stats().evictions).toBe(1)
  })

  it('cannot be flushed of real keys by a flood of unknown key IDs', async () => {
    const { cache } = setup({ maxEntries: 10, maxUnknownEntries: 100 })
    cache.set(key('real'))
    for (let i = 0; i < 10_000; i++) await cache.load(`junk${i}`, () => Promise.resolve(undefined))
    expect(cache.peek('real').status).toBe('hit')
    expect(cache.peek('junk9999').status).toBe('unknown')
    expect(cache.peek('junk0').status).toBe('miss')
  })

  it('invalidates one key, one organization, or everything', () => {
    const { cache } = setup()
    cache.set(key('a', 'org_1'))
    cache.set(key('b', 'org_1'))
    cache.set(key('c', 'org_2'))
    cache.invalidate('a')
    expect(cache.peek('a').status).toBe('miss')
    expect(cache.peek('b').status).toBe('hit')
    cache.invalidateOrganization('org_1')
    expect(cache.peek('b').status).toBe('miss')
    expect(cache.peek('c').status).toBe('hit')
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('forgets a negative entry when the key is invalidated (created after a probe)', async () => {
    const { cache } = setup()
    await cache.load('k1', () => Promise.resolve(undefined))
    cache.invalidate('k1')
    expect(await cache.load('k1', () => Promise.resolve(key('k1')))).toBeDefined()
  })

  it('does not cache a load that raced an invalidation', async () => {
    const { cache } = setup()
    const stale = deferred<TestKey>()
    const loading = cache.load('k1', () => stale.promise)
    cache.invalidate('k1') // the key was revoked while the old row was being read
    stale.resolve(key('k1', 'org_1', 'stale'))
    expect((await loading)?.name).toBe('stale')
    expect(cache.peek('k1').status).toBe('miss')
    const fresh = await cache.load('k1', () => Promise.resolve(key('k1', 'org_1', 'fresh')))
    expect(fresh?.name).toBe('fresh')
  })

  it('keeps the organization index right when a key moves organization', () => {
    const { cache } = setup()
    cache.set(key('a', 'org_1'))
    cache.set(key('a', 'org_2'))
    cache.invalidateOrganization('org_1')
    expect(cache.peek('a').status).toBe('hit')
    cache.invalidateOrganization('org_2')
    expect(cache.peek('a').status).toBe('miss')
  })

  it('does not cache a failed load', async () => {
    const { cache } = setup()
    await expect(cache.load('k1', () => Promise.reject(new Error('db down')))).rejects.toThrow()
    expect(cache.peek('k1').status).toBe('miss')
  })

  it('applies invalidation messages', () => {
    const { cache } = setup()
    cache.set(key('a', 'org_1'))
    cache.set(key('b', 'org_2'))
    cache.set(key('c', 'org_3'))
    invalidateKeyCache(cache, { kind: 'route-policy', id: 'rp_1' })
    expect(cache.size).toBe(3)
    invalidateKeyCache(cache, { kind: 'key', id: 'a' })
    invalidateKeyCache(cache, { kind: 'organization', id: 'org_2' })
    expect(cache.size).toBe(1)
    invalidateKeyCache(cache, { kind: 'all' })
    expect(cache.size).toBe(0)
  })
})
