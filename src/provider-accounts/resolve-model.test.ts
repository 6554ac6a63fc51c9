import { describe, expect, it } from 'vitest'
import type { ProviderAccount } from '../providers/index.js'
import { buildModelTable, resolveModel, type RoutableAccount } from './resolve-model.js'

let counter = 0
function account(spec: {
  name: string
  models?: string[]
  aliases?: Record<string, string>
  source?: 'database' | 'config'
  status?: 'active' | 'disabled'
  createdAtMs?: number
}): RoutableAccount {
  counter += 1
  const adapterAccount: ProviderAccount = {
    id: `prv_${spec.name}`,
    label: spec.name,
    kind: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:8000/v1',
    credential: null,
  }
  return {
    account: adapterAccount,
    name: spec.name,
    models: spec.models ?? [],
    aliases: spec.aliases ?? {},
    status: spec.status ?? 'active',
    source: spec.source ?? 'database',
    createdAtMs: spec.createdAtMs ?? 1_700_000_000_000 + counter,
  }
}

const served = (table: ReturnType<typeof buildModelTable>, model: string) => {
  const found = resolveModel(table, model)
  return found && { by: found.account.label, upstream: found.upstreamModel, how: found.matchedBy }
}

describe('resolveModel', () => {
  it('prefers an exact name over an alias over the longest prefix', () => {
    const table = buildModelTable([
      account({ name: 'wide', models: ['*'] }),
      account({ name: 'prefix', models: ['gpt-4o*'] }),
      account({ name: 'longer', models: ['gpt-4o-mini*'] }),
      account({ name: 'alias', aliases: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' } }),
      account({ name: 'exact', models: ['gpt-4o'] }),
    ])
    expect(served(table, 'gpt-4o')).toEqual({ by: 'exact', upstream: 'gpt-4o', how: 'exact' })
    expect(served(table, 'gpt-4o-mini')).toEqual({
      by: 'alias',
      upstream: 'gpt-4o-mini-2024-07-18',
      how: 'alias',
    })
    expect(served(table, 'gpt-4o-mini-tts')).toEqual({
      by: 'longer',
      upstream: 'gpt-4o-mini-tts',
      how: 'prefix',
    })
    expect(served(table, 'gpt-4o-audio')).toMatchObject({ by: 'prefix', how: 'prefix' })
    expect(served(table, 'llama-3')).toMatchObject({ by: 'wide', how: 'prefix' })
  })

  it('answers undefined for a model nobody serves', () => {
    const table = buildModelTable([account({ name: 'a', models: ['gpt-4o', 'claude-*'] })])
    expect(resolveModel(table, 'gpt-4o-mini')).toBeUndefined()
    expect(resolveModel(table, 'claude')).toBeUndefined()
    expect(resolveModel(table, 'claude-')).toBeDefined()
  })

  it('on a tie, prefers database accounts over config ones, then the oldest', () => {
    const table = buildModelTable([
      account({ name: 'config', models: ['gpt-4o', 'o1*'], source: 'config' }),
      account({ name: 'newer', models: ['gpt-4o', 'o1*'], createdAtMs: 2_000 }),
      account({ name: 'older', models: ['gpt-4o', 'o1*'], createdAtMs: 1_000 }),
    ])
    expect(served(table, 'gpt-4o')?.by).toBe('older')
    expect(served(table, 'o1-mini')?.by).toBe('older')
  })

  it('keeps config accounts in declaration order among themselves', () => {
    const table = buildModelTable([
      account({ name: 'first', models: ['m'], source: 'config', createdAtMs: 5 }),
      account({ name: 'second', models: ['m'], source: 'config', createdAtMs: 1 }),
    ])
    expect(served(table, 'm')?.by).toBe('first')
  })

  it('skips disabled accounts', () => {
    const table = buildModelTable([
      account({ name: 'off', models: ['gpt-4o'], status: 'disabled' }),
      account({ name: 'on', models: ['gpt-*'], source: 'config' }),
    ])
    expect(served(table, 'gpt-4o')).toEqual({ by: 'on', upstream: 'gpt-4o', how: 'prefix' })
    expect(table.listed.map((m) => m.id)).toEqual([])
  })

  it('sends model names with mock knobs through a prefix', () => {
    const table = buildModelTable([
      account({ name: 'mock', models: ['mock', 'mock-embedding', 'mock-*', 'mock?*'] }),
    ])
    expect(served(table, 'mock?failStatus=429')).toMatchObject({ upstream: 'mock?failStatus=429' })
    expect(served(table, 'mock-embedding')?.how).toBe('exact')
    expect(served(table, 'mocking')).toBeUndefined()
  })
})

describe('listed models', () => {
  it('lists exact names and aliases once, by the account that serves them, sorted', () => {
    const table = buildModelTable([
      account({ name: 'a', models: ['gpt-4o', 'gpt-*'], createdAtMs: 1_700_000_000_999 }),
      account({
        name: 'b',
        models: ['gpt-4o', 'claude-3'],
        aliases: { fast: 'claude-3-haiku' },
        createdAtMs: 1_800_000_000_000,
      }),
      account({ name: 'c', aliases: { 'gpt-4o': 'gpt-4o-2024-08-06' }, source: 'config' }),
    ])
    expect(table.listed).toEqual([
      { id: 'claude-3', ownedBy: 'b', created: 1_800_000_000 },
      { id: 'fast', ownedBy: 'b', created: 1_800_000_000 },
      { id: 'gpt-4o', ownedBy: 'a', created: 1_700_000_000 },
    ])
  })
})
