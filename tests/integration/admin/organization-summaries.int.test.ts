import type { KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMPTY_BUDGET_POLICY } from '../../../src/budgets/index.js'
import { ADMIN_ROUTES } from '../../../src/http/admin/admin-routes.js'
import { buildAdminOpenApi } from '../../../src/http/admin/openapi.js'
import { findOrganizationSummaryRows } from '../../../src/organizations/organization-summaries.repository.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import { adminResponseSchema, jsonSchemaProblems } from '../../support/openapi-validate.js'
import { testDialects } from '../../support/test-db.js'
import { insertUsageRows, usageDraft, usageRow } from '../../support/usage-fixtures.js'

interface EnvironmentSummary {
  balanceMicros: string | null
  monthToDateSpendMicros: string | null
  budget: { decision: string; reason: string } | null
}
interface SummaryPage {
  data: {
    organization: { organizationId: string; name: string }
    month: string
    budgetPolicy: { version: number } | null
    monthToDateTokens: string | null
    live: EnvironmentSummary
    test: EnvironmentSummary
  }[]
  hasMore: boolean
  nextCursor: string | null
  withheld: string[]
}

/** Counts the statements a Kysely instance runs. */
function statementCounter(): KyselyPlugin & { count: number } {
  const counter = {
    count: 0,
    transformQuery: (args: Parameters<KyselyPlugin['transformQuery']>[0]) => {
      counter.count += 1
      return args.node
    },
    transformResult: (args: Parameters<KyselyPlugin['transformResult']>[0]) =>
      Promise.resolve(args.result),
  }
  return counter
}

const SCHEMA = adminResponseSchema(buildAdminOpenApi(ADMIN_ROUTES, 'test'), {
  method: 'GET',
  path: '/admin/v1/orgs/summary',
  status: 200,
})!

for (const dialect of testDialects()) {
  describe(`${dialect}: GET /orgs/summary`, () => {
    let h: AdminHarness
    let funded: string
    let empty: string
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      // The harness clock stands at 2026-01-01T09:00Z: this month is 2026-01.
      funded = await h.createOrganization('Summary Funded')
      h.clock.advance(1) // IDs are time-ordered: `empty` is the newer one
      empty = await h.createOrganization('Summary Empty')
      await h.services.billing.credit(SETUP_BILLING_ACTOR, {
        organizationId: funded,
        environment: 'live',
        amountMicros: 10_000_000n,
        category: 'paid',
        idempotencyKey: idempotencyKey('summary'),
      })
      const at = (createdAt: string, environment: string, costMicros: bigint) =>
        usageRow(usageDraft({ organizationId: funded, environment }), { createdAt, costMicros })
      await insertUsageRows(h.db, [
        at('2026-01-01T08:00:00.000Z', 'live', 3_000_000n),
        at('2026-01-01T08:30:00.000Z', 'test', 1_000_000n),
        // Last month: not this month's spend.
        at('2025-12-31T23:59:59.000Z', 'live', 5_000_000n),
      ])
      await h.services.budgetPolicies.publish(SETUP_AUDIT, {
        organizationId: funded,
        keyId: null,
        content: { ...EMPTY_BUDGET_POLICY, monthlySpendCapMicros: 3_500_000n, overage: 'block' },
      })
    })
    afterAll(() => h.close())

    it('answers balances, this month’s spend per environment and the budget state', async () => {
      const res = await h.request({
        method: 'GET',
        url: '/orgs/summary?search=Summary',
        as: { token: h.ownerToken },
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(jsonSchemaProblems(SCHEMA, res.json())).toEqual([])
      const page = res.json<SummaryPage>()
      expect(page.withheld).toEqual([])
      expect(page.data.map((row) => row.organization.organizationId)).toEqual([empty, funded])
      const [none, acme] = page.data
      expect(acme!.month).toBe('2026-01')
      expect(acme!.live).toEqual({
        balanceMicros: '10000000',
        monthToDateSpendMicros: '3000000',
        // The cap counts both environments: 3 + 1 > 3.5 USD.
        budget: { decision: 'block', reason: 'monthly_spend_cap_reached' },
      })
      expect(acme!.test).toEqual({
        balanceMicros: null,
        monthToDateSpendMicros: '1000000',
        budget: { decision: 'block', reason: 'monthly_spend_cap_reached' },
      })
      expect(acme!.budgetPolicy?.version).toBe(1)
      expect(acme!.monthToDateTokens).toBe('30')
      expect(none!.budgetPolicy).toBeNull()
      expect(none!.live).toEqual({
        balanceMicros: null,
        monthToDateSpendMicros: '0',
        budget: { decision: 'allow', reason: 'no_budget_policy' },
      })
    })

    it('withholds what the caller may not read, and pages like GET /orgs', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const created = await h.services.tokens.createToken(SETUP_AUDIT, {
        adminId: viewer.adminId,
        name: 'orgs only',
        permissions: ['orgs.read', 'usage.read'],
      })
      const res = await h.request({
        method: 'GET',
        url: '/orgs/summary?search=Summary&limit=1',
        as: { token: created.token },
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(jsonSchemaProblems(SCHEMA, res.json())).toEqual([])
      const page = res.json<SummaryPage>()
      expect(page.withheld).toEqual(['balance', 'budget'])
      expect(page.data).toHaveLength(1)
      expect(page.hasMore).toBe(true)
      expect(page.data[0]!.live).toEqual({
        balanceMicros: null,
        monthToDateSpendMicros: '0',
        budget: null,
      })
      const next = await h.request({
        method: 'GET',
        url: `/orgs/summary?search=Summary&limit=1&after=${page.nextCursor}`,
        as: { token: created.token },
      })
      const second = next.json<SummaryPage>()
      expect(second.data.map((row) => row.organization.organizationId)).toEqual([funded])
      expect(second.data[0]!.live.monthToDateSpendMicros).toBe('3000000')
      expect(second.hasMore).toBe(false)
    })

    it('reads a page of 30 organizations in one statement', async () => {
      for (let i = 0; i < 30; i++) await h.createOrganization(`Bulk ${i}`)
      const counter = statementCounter()
      const rows = await findOrganizationSummaryRows(h.db.withPlugin(counter), {
        limit: 30,
        monthFrom: '2026-01-01T00:00:00.000Z',
        monthTo: '2026-02-01T00:00:00.000Z',
      })
      expect(rows).toHaveLength(30)
      expect(counter.count).toBe(1)
    })

    it('refuses a caller without orgs.read and a malformed query', async () => {
      const billing = await h.createAdmin({ role: 'billing' })
      const token = await h.services.tokens.createToken(SETUP_AUDIT, {
        adminId: billing.adminId,
        name: 'no orgs',
        permissions: ['billing.read'],
      })
      const denied = await h.request({
        method: 'GET',
        url: '/orgs/summary',
        as: { token: token.token },
      })
      expect(denied.statusCode).toBe(403)
      const bad = await h.request({
        method: 'GET',
        url: '/orgs/summary?limit=0',
        as: { token: h.ownerToken },
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json<{ error: { param: string } }>().error.param).toBe('limit')
    })
  })
}
