import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/lib/errors.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { testDialects } from '../../support/test-db.js'

const policy = (model: string) => ({
  routes: { chat: { targets: [{ provider: 'mock', model }] } },
})

for (const dialect of testDialects()) {
  describe(`${dialect}: route policies through the admin API`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())
    const as = () => ({ token: h.ownerToken })

    it('publishes versions, shows, diffs and rolls back, each audited', async () => {
      const refused = await h.request({
        method: 'POST',
        url: '/route-policies',
        as: as(),
        body: { scope: 'global', policy: policy('mock') },
      })
      expect(refused.statusCode).toBe(400)
      expect(refused.json()).toMatchObject({ error: { code: 'reason_required' } })

      const v1 = await h.request({
        method: 'POST',
        url: '/route-policies',
        as: as(),
        body: { scope: 'global', policy: policy('mock'), reason: { code: 'launch' } },
      })
      expect(v1.statusCode, v1.body).toBe(201)
      const v2 = await h.request({
        method: 'POST',
        url: '/route-policies',
        as: as(),
        body: { scope: 'global', policy: policy('mock-2'), reason: { code: 'switch' } },
      })
      const [a, b] = [
        v1.json<{ version: number }>(),
        v2.json<{ version: number; contentHash: string }>(),
      ]
      expect(b.version).toBeGreaterThan(a.version)
      expect(b.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/)

      const diff = await h.request({
        method: 'GET',
        url: `/route-policies/diff?from=${a.version}&to=${b.version}`,
        as: as(),
      })
      expect(diff.json()).toMatchObject({
        changes: [{ path: 'routes.chat.targets', kind: 'changed' }],
      })

      const unchanged = await h.request({
        method: 'POST',
        url: '/route-policies',
        as: as(),
        body: { scope: 'global', policy: policy('mock-2'), reason: { code: 'again' } },
      })
      expect(unchanged.statusCode).toBe(409)

      const rolled = await h.request({
        method: 'POST',
        url: `/route-policies/${a.version}/rollback`,
        as: as(),
        body: { reason: { code: 'provider_outage_failover' } },
      })
      expect(rolled.statusCode, rolled.body).toBe(201)
      expect(rolled.json()).toMatchObject({ source: 'rollback', rolledBackFromVersion: a.version })
      const old = await h.request({ method: 'GET', url: `/route-policies/${a.version}`, as: as() })
      expect(old.json()).toMatchObject({ version: a.version, policy: { routes: { chat: {} } } })

      const events = (await h.auditEvents()).filter((e) => e.action.startsWith('route_policy.'))
      expect(events.map((e) => e.action)).toEqual([
        'route_policy.publish_production',
        'route_policy.publish_production',
        'route_policy.rollback',
      ])
      expect(events[2]!.reason_code).toBe('provider_outage_failover')
    })

    it('refuses a policy naming an unknown provider, naming the field', async () => {
      const res = await h.request({
        method: 'POST',
        url: '/route-policies',
        as: as(),
        body: {
          scope: 'global',
          policy: { routes: { x: { targets: [{ provider: 'nope', model: 'm' }] } } },
          reason: { code: 'try' },
        },
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        error: { code: 'invalid_route_policy', param: 'policy.routes.x.targets[0].provider' },
      })
    })

    it('explains a decision in a dry-run', async () => {
      const res = await h.request({
        method: 'GET',
        url: '/route-policies/dry-run?model=chat',
        as: as(),
      })
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json<{ decision: string; wouldServe: unknown; explanation: string[] }>()
      expect(body.decision).toBe('serve')
      expect(body.wouldServe).toEqual({ provider: 'mock', model: 'mock' })
      expect(body.explanation.join(' ')).toContain('matches route `chat`')
    })

    it('publishes a changed config-file policy once, as the system actor', async () => {
      const org = await h.createOrganization()
      const declared = { organizations: { [org]: policy('mock-from-file') } }
      const first = await h.services.routing.policies.syncFromConfig(declared)
      expect(first).toMatchObject([{ scope: org, outcome: 'published' }])
      const again = await h.services.routing.policies.syncFromConfig(declared)
      expect(again).toMatchObject([
        { scope: org, outcome: 'unchanged', version: first[0]!.version },
      ])
      const events = (await h.auditEvents()).filter((e) => e.action === 'route_policy.publish')
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        actor_type: 'system',
        organization_id: org,
        reason_code: 'config_file_changed',
      })
      await expect(
        h.services.routing.policies.syncFromConfig({
          global: { routes: { bad: { targets: [] } } },
        }),
      ).rejects.toBeInstanceOf(ConfigError)
    })

    it('shows provider health', async () => {
      const res = await h.request({ method: 'GET', url: '/provider-health', as: as() })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ object: 'list' })
    })
  })
}
