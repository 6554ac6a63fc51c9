import { describe, expect, it } from 'vitest'
import { createLocalInvalidation } from '../invalidation/index.js'
import { createModelResolver } from './model-resolver.js'
import type { RoutableAccount } from './resolve-model.js'

function routable(name: string, models: string[]): RoutableAccount {
  return {
    account: {
      id: `prv_${name}`,
      label: name,
      kind: 'mock',
      baseUrl: 'http://x',
      credential: null,
    },
    name,
    models,
    aliases: {},
    status: 'active',
    source: 'database',
    createdAtMs: 0,
  }
}

/** A loader whose answers the test sets, counting calls and optionally holding them. */
function fakeLoader() {
  let accounts: RoutableAccount[] = []
  let gate: Promise<void> | undefined
  const state = {
    calls: 0,
    set: (next: RoutableAccount[]) => {
      accounts = next
    },
    hold: () => {
      let release = () => undefined as void
      gate = new Promise<void>((resolve) => {
        release = resolve
      })
      return () => {
        gate = undefined
        release()
      }
    },
    load: async () => {
      state.calls += 1
      const snapshot = accounts
      if (gate) await gate
      return snapshot
    },
  }
  return state
}

describe('createModelResolver', () => {
  it('loads at start, and again on a provider-account or all invalidation only', async () => {
    const loader = fakeLoader()
    loader.set([routable('a', ['m1'])])
    const invalidation = createLocalInvalidation()
    const resolver = createModelResolver({
      loadAccounts: loader.load,
      invalidation,
      refreshIntervalMs: 0,
    })
    await resolver.ready()
    expect(resolver.resolve('m1')?.account.label).toBe('a')
    loader.set([routable('b', ['m2'])])
    await invalidation.publish({ kind: 'key', id: 'k1' })
    expect(resolver.resolve('m2')).toBeUndefined()
    await invalidation.publish({ kind: 'provider-account', id: 'prv_b' })
    await resolver.reload()
    expect(resolver.resolve('m2')?.account.label).toBe('b')
    expect(resolver.resolve('m1')).toBeUndefined()
    expect(resolver.listModels().map((m) => m.id)).toEqual(['m2'])
    resolver.stop()
  })

  it('reloads again when a change lands during a load, so it is never missed', async () => {
    const loader = fakeLoader()
    loader.set([routable('old', ['m'])])
    const resolver = createModelResolver({
      loadAccounts: loader.load,
      invalidation: createLocalInvalidation(),
      refreshIntervalMs: 0,
    })
    await resolver.ready()
    const release = loader.hold()
    const first = resolver.reload() // reads 'old' state, held
    loader.set([routable('new', ['m'])])
    const second = resolver.reload() // asked for during the first load
    release()
    await first
    await second
    expect(resolver.resolve('m')?.account.label).toBe('new')
    expect(loader.calls).toBe(3)
  })

  it('keeps the last good table when a load fails, and reports it', async () => {
    const errors: unknown[] = []
    let fail = false
    const resolver = createModelResolver({
      loadAccounts: () =>
        fail ? Promise.reject(new Error('db down')) : Promise.resolve([routable('a', ['m'])]),
      invalidation: createLocalInvalidation(),
      refreshIntervalMs: 0,
      onError: (err) => errors.push(err),
    })
    await resolver.ready()
    fail = true
    await resolver.reload()
    expect(resolver.resolve('m')?.account.label).toBe('a')
    expect(errors).toHaveLength(1)
  })

  it('stops listening when stopped', async () => {
    const loader = fakeLoader()
    const invalidation = createLocalInvalidation()
    const resolver = createModelResolver({ loadAccounts: loader.load, invalidation })
    await resolver.ready()
    resolver.stop()
    await invalidation.publish({ kind: 'all' })
    expect(loader.calls).toBe(1)
  })
})
