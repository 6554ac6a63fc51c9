import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../lib/random.js'
import type { ProviderAccount } from '../providers/index.js'
import { compilePolicy } from './compile-policy.js'
import { planRoute, type RoutingPolicies } from './plan-route.js'
import { parseRoutePolicy, type RoutePolicyScope } from './route-policy.js'

const account = (name: string): ProviderAccount => ({
  id: `prv_${name}`,
  label: name,
  kind: 'mock',
  baseUrl: 'http://mock.invalid',
  credential: null,
})
const ACCOUNTS = new Map(['a', 'b', 'c'].map((n) => [n, account(n)]))

function compiled(input: unknown, version: number, scope: RoutePolicyScope = 'global') {
  const parsed = parseRoutePolicy(input, scope)
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  return compilePolicy({ version, scope, contentHash: 'h', policy: parsed.policy }, ACCOUNTS)
}

const closed = { stateOf: () => 'closed' as const }
const implicit = (model: string) =>
  model === 'known' ? { account: account('a'), upstreamModel: 'known-up' } : undefined

const plan = (policies: RoutingPolicies, model: string, extra = {}) =>
  planRoute({ policies, model, implicit, health: closed, random: createSeededRandom(1), ...extra })

describe('planRoute', () => {
  const global = compiled(
    {
      routes: {
        big: {
          aliases: ['smart'],
          tier: 'premium',
          targets: [
            { provider: 'a', model: 'big-a' },
            { provider: 'b', model: 'big-b' },
          ],
          fallbackRoute: 'small',
          tierRoutes: { economy: 'small' },
        },
        small: { tier: 'economy', targets: [{ provider: 'c', model: 'small-c' }] },
      },
      downgradeRules: [
        { when: 'budget_state', budgetStates: ['downgrade'], serveTier: 'economy' },
        { when: 'provider_unhealthy', action: 'skip' },
      ],
    },
    3,
  )

  const cases: {
    name: string
    policies: RoutingPolicies
    model: string
    version: string
    targets: string[]
  }[] = [
    {
      name: 'nothing published, known model',
      policies: { global: null, organization: null },
      model: 'known',
      version: '0',
      targets: ['a/known-up'],
    },
    {
      name: 'a route by name',
      policies: { global, organization: null },
      model: 'big',
      version: '3',
      targets: ['a/big-a', 'b/big-b', 'c/small-c'],
    },
    {
      name: 'a route by alias',
      policies: { global, organization: null },
      model: 'smart',
      version: '3',
      targets: ['a/big-a', 'b/big-b', 'c/small-c'],
    },
    {
      name: 'an unrouted model through defaultRoute implicit',
      policies: { global, organization: null },
      model: 'known',
      version: '3',
      targets: ['a/known-up'],
    },
  ]
  it.each(cases)('$name', ({ policies, model, version, targets }) => {
    const result = plan(policies, model)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.plan.version).toBe(version)
    expect(result.plan.targets.map((t) => `${t.provider}/${t.model}`)).toEqual(targets)
  })

  it('answers model_not_found for an unknown model, and for reject', () => {
    expect(plan({ global, organization: null }, 'nope')).toMatchObject({
      ok: false,
      reason: 'model_not_found',
    })
    const rejecting = compiled({ defaultRoute: 'reject' }, 4)
    expect(plan({ global: rejecting, organization: null }, 'known')).toMatchObject({
      ok: false,
      reason: 'model_not_found',
      version: '4',
    })
  })

  it('downgrades by budget state and says why', () => {
    const result = plan({ global, organization: null }, 'big', {
      budgetState: 'downgrade',
      explain: true,
    })
    expect(result.ok && result.plan.route).toBe('small')
    expect(result.ok && result.plan.downgrade).toMatchObject({
      fromRoute: 'big',
      toRoute: 'small',
      toTier: 'economy',
    })
    expect(result.ok && result.plan.explanation.join(' ')).toContain('Budget state `downgrade`')
    expect(plan({ global, organization: null }, 'big', { budgetState: 'warn' })).toMatchObject({
      ok: true,
      plan: { route: 'big', downgrade: null },
    })
  })

  it('skips targets whose circuit is open; 503 when none is left', () => {
    const health = {
      stateOf: (id: string) => (id === 'prv_a' ? ('open' as const) : ('closed' as const)),
    }
    const result = plan({ global, organization: null }, 'big', { health })
    expect(result.ok && result.plan.targets.map((t) => t.provider)).toEqual(['b', 'c'])
    expect(result.ok && result.plan.skipped).toEqual([
      { provider: 'a', model: 'big-a', route: 'big', reason: 'circuit_open' },
    ])
    const allOpen = plan({ global, organization: null }, 'big', {
      health: { stateOf: () => 'open' },
    })
    expect(allOpen).toMatchObject({ ok: false, reason: 'no_available_target' })
  })

  it('prefers the organization override and inherits the rest', () => {
    const org = compiled(
      { routes: { big: { targets: [{ provider: 'c', model: 'org-c' }] } } },
      5,
      'org_01jabcdefghjkmnpqrstvwxyz0',
    )
    expect(plan({ global, organization: org }, 'big')).toMatchObject({
      ok: true,
      plan: { version: '5', policyScope: 'organization' },
    })
    expect(plan({ global, organization: org }, 'small')).toMatchObject({
      ok: true,
      plan: { version: '3', policyScope: 'global' },
    })
  })

  it('draws weighted orders in proportion to weight', () => {
    const weighted = compiled(
      {
        routes: {
          w: {
            strategy: 'weighted',
            targets: [
              { provider: 'a', model: 'm', weight: 9 },
              { provider: 'b', model: 'm', weight: 1 },
            ],
          },
        },
      },
      6,
    )
    const random = createSeededRandom(99)
    let firstA = 0
    for (let i = 0; i < 5000; i++) {
      const r = planRoute({
        policies: { global: weighted, organization: null },
        model: 'w',
        implicit,
        health: closed,
        random,
      })
      if (r.ok && r.plan.targets[0]!.provider === 'a') firstA += 1
    }
    expect(firstA / 5000).toBeGreaterThan(0.87)
    expect(firstA / 5000).toBeLessThan(0.93)
  })

  it('refuses invalid policies with every problem', () => {
    const parsed = parseRoutePolicy(
      {
        routes: {
          x: { targets: [{ provider: 'a', model: 'm' }], fallbackRoute: 'y' },
          y: { targets: [{ provider: 'a', model: 'm' }], fallbackRoute: 'x' },
        },
        defaultRoute: 'inherit',
      },
      'global',
    )
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.problems.map((p) => p.param)).toEqual(['routes', 'defaultRoute'])
  })
})
