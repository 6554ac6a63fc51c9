import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decideBudget } from '../../../src/budgets/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

interface PolicyBody {
  budgetPolicyId: string
  organizationId: string
  keyId: string | null
  version: number
  contentHash: string
  change: string
  rolledBackFromVersion: number | null
  policy: Record<string, unknown> & { hardCapMicros: string | null }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: budget policies`, () => {
    let h: AdminHarness
    let organizationId: string
    const owner = () => ({ token: h.ownerToken })
    const reason = (code: string) => ({ reason: { code } })
    const url = (path = '') => `/orgs/${organizationId}/budget-policies${path}`

    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      organizationId = await h.createOrganization('Budget Co')
      await h.runtime.budgetBook.ready()
    })
    afterAll(() => h.close())

    const publish = (body: Record<string, unknown>) =>
      h.request({ method: 'POST', url: url(), as: owner(), body })

    it('publishes versions with a content hash, one audit event each, in force at once', async () => {
      expect(
        h.runtime.budgetBook.policiesFor({ organizationId, keyId: null }).organization,
      ).toBeNull()
      const before = (await h.auditEvents()).length
      const res = await publish({
        monthlySpendCapMicros: '5000000',
        thresholds: { warnBelowMicros: 2_000_000, downgradeBelowMicros: '1000000' },
        overage: 'downgrade',
        rateLimits: { requestsPerMinute: 60 },
      })
      expect(res.statusCode, res.body).toBe(201)
      const v1 = res.json<PolicyBody>()
      expect(v1).toMatchObject({ version: 1, change: 'publish', keyId: null })
      expect(v1.policy).toEqual({
        monthlyTokenLimit: null,
        monthlySpendCapMicros: '5000000',
        hardCapMicros: null,
        thresholds: {
          warnBelowMicros: '2000000',
          downgradeBelowMicros: '1000000',
          blockBelowMicros: null,
        },
        overage: 'downgrade',
        rateLimits: { requestsPerMinute: 60 },
      })
      expect(v1.contentHash).toMatch(/^[0-9a-f]{64}$/)
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => e.action)).toEqual(['budget_policy.publish'])
      expect(events[0]).toMatchObject({
        organization_id: organizationId,
        target_type: 'budget_policy',
        target_id: v1.budgetPolicyId,
        policy_version: '1',
      })

      const inForce = h.runtime.budgetBook.policiesFor({ organizationId, keyId: null }).organization
      expect(inForce).toMatchObject({ budgetPolicyId: v1.budgetPolicyId, version: 1 })
      const decision = decideBudget({
        policy: inForce,
        balanceMicros: 1_500_000n,
        monthToDate: { tokens: 0n, spendMicros: 0n },
        estimatedCostMicros: 600_000n,
        estimatedTokens: 100n,
      })
      expect(decision).toEqual({
        decision: 'downgrade',
        reason: 'balance_below_downgrade_threshold',
        budgetPolicyId: v1.budgetPolicyId,
        policyVersion: 1,
      })
    })

    it('refuses thresholds out of order and a hard cap below the spend cap', async () => {
      const res = await publish({
        thresholds: { warnBelowMicros: '10', blockBelowMicros: '20' },
      })
      expect(res.statusCode).toBe(400)
      expectOpenAIError(res.json(), { type: 'invalid_request_error' })
      expect(res.json<{ error: { param: string } }>().error.param).toBe(
        'thresholds.warnBelowMicros',
      )
    })

    it('changes the hard cap only through the high-risk hard cap update', async () => {
      const viaPublish = await publish({ hardCapMicros: '9000000' })
      expect(viaPublish.statusCode).toBe(400)
      expectOpenAIError(viaPublish.json(), { code: 'hard_cap_change_not_allowed' })

      const noReason = await h.request({
        method: 'PUT',
        url: url('/hard-cap'),
        as: owner(),
        body: { hardCapMicros: '9000000' },
      })
      expect(noReason.statusCode).toBe(400)
      expectOpenAIError(noReason.json(), { code: 'reason_required' })

      const below = await h.request({
        method: 'PUT',
        url: url('/hard-cap'),
        as: owner(),
        body: { hardCapMicros: '1', ...reason('tighten') },
      })
      expect(below.statusCode).toBe(400)
      expect(below.json<{ error: { param: string } }>().error.param).toBe('hardCapMicros')

      const res = await h.request({
        method: 'PUT',
        url: url('/hard-cap'),
        as: owner(),
        body: { hardCapMicros: '9000000', ...reason('temporary_quota_raise_for_launch') },
      })
      expect(res.statusCode, res.body).toBe(200)
      const v2 = res.json<PolicyBody>()
      expect(v2).toMatchObject({ version: 2, change: 'hard_cap_update' })
      expect(v2.policy.hardCapMicros).toBe('9000000')
      expect(v2.policy.monthlySpendCapMicros).toBe('5000000')
      const events = await h.auditEvents()
      expect(events[events.length - 1]).toMatchObject({
        action: 'budget_policy.hard_cap_update',
        reason_code: 'temporary_quota_raise_for_launch',
      })

      // A later publish keeps the cap (and may leave it out only if it matches).
      const v3 = await publish({ monthlySpendCapMicros: '7000000', hardCapMicros: '9000000' })
      expect(v3.statusCode, v3.body).toBe(201)
      expect(v3.json<PolicyBody>().version).toBe(3)
    })

    it('rolls back by re-publishing an old version as a new one, with a reason', async () => {
      const noReason = await h.request({
        method: 'POST',
        url: url('/rollback'),
        as: owner(),
        body: { toVersion: 1 },
      })
      expect(noReason.statusCode).toBe(400)
      const res = await h.request({
        method: 'POST',
        url: url('/rollback'),
        as: owner(),
        body: { toVersion: 1, ...reason('bad_cap_published') },
      })
      expect(res.statusCode, res.body).toBe(201)
      const v4 = res.json<PolicyBody>()
      expect(v4).toMatchObject({ version: 4, change: 'rollback', rolledBackFromVersion: 1 })
      const v1 = (
        await h.request({ method: 'GET', url: url('/1'), as: owner() })
      ).json<PolicyBody>()
      expect(v4.contentHash).toBe(v1.contentHash)
      expect(
        h.runtime.budgetBook.policiesFor({ organizationId, keyId: null }).organization?.version,
      ).toBe(4)

      const missing = await h.request({
        method: 'POST',
        url: url('/rollback'),
        as: owner(),
        body: { toVersion: 99, ...reason('bad_cap_published') },
      })
      expect(missing.statusCode).toBe(404)
      expectOpenAIError(missing.json(), { code: 'budget_policy_not_found' })
    })

    it('lists, shows and diffs versions', async () => {
      const list = await h.request({ method: 'GET', url: url('?limit=2'), as: owner() })
      expect(list.json<{ data: PolicyBody[] }>().data.map((v) => v.version)).toEqual([4, 3])
      expect(list.json()).toMatchObject({ hasMore: true, nextCursor: '3' })
      const current = await h.request({ method: 'GET', url: url('/current'), as: owner() })
      expect(current.json<PolicyBody>().version).toBe(4)
      const diff = await h.request({ method: 'GET', url: url('/diff?from=1&to=2'), as: owner() })
      expect(diff.statusCode, diff.body).toBe(200)
      expect(diff.json<{ changes: unknown[] }>().changes).toEqual([
        { field: 'hardCapMicros', from: null, to: '9000000' },
      ])
      // A publish replaces the whole policy: what it leaves out is off.
      const replaced = await h.request({
        method: 'GET',
        url: url('/diff?from=2&to=3'),
        as: owner(),
      })
      expect(replaced.json<{ changes: { field: string }[] }>().changes.map((c) => c.field)).toEqual(
        [
          'monthlySpendCapMicros',
          'overage',
          'rateLimits.requestsPerMinute',
          'thresholds.downgradeBelowMicros',
          'thresholds.warnBelowMicros',
        ],
      )
    })

    it('keeps versions immutable in the database itself', async () => {
      await expect(
        sql`update budget_policies set content_json = '{}'`.execute(h.db),
      ).rejects.toThrow(/immutable|append-only/)
    })

    it("gives a key its own policy, scoped to its organization's keys", async () => {
      const { key } = await h.services.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'budgeted',
        environment: 'live',
      })
      const res = await publish({ keyId: key.keyId, monthlyTokenLimit: '1000' })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json<PolicyBody>()).toMatchObject({ keyId: key.keyId, version: 1 })
      const both = h.runtime.budgetBook.policiesFor({ organizationId, keyId: key.keyId })
      expect(both.organization?.version).toBe(4)
      expect(both.key?.content.monthlyTokenLimit).toBe(1000n)

      const otherOrg = await h.createOrganization('Other')
      const foreign = await h.request({
        method: 'POST',
        url: `/orgs/${otherOrg}/budget-policies`,
        as: owner(),
        body: { keyId: key.keyId, monthlyTokenLimit: '1' },
      })
      expect(foreign.statusCode).toBe(404)
      expectOpenAIError(foreign.json(), { code: 'api_key_not_found' })
    })

    it('lets billing publish and viewers only read', async () => {
      const billing = { token: await h.createToken(await h.createAdmin({ role: 'billing' })) }
      const viewer = { token: await h.createToken(await h.createAdmin({ role: 'viewer' })) }
      const ok = await h.request({
        method: 'POST',
        url: url(),
        as: billing,
        // The rollback to version 1 took the hard cap back to none.
        body: { monthlySpendCapMicros: '1' },
      })
      expect(ok.statusCode, ok.body).toBe(201)
      const denied = await h.request({ method: 'POST', url: url(), as: viewer, body: {} })
      expect(denied.statusCode).toBe(403)
      expect((await h.request({ method: 'GET', url: url(), as: viewer })).statusCode).toBe(200)
    })
  })
}
