import { SETUP_AUDIT, type AdminHarness } from './admin-harness.js'

const reason = (code: string) => ({ reason: { code } })

/** Rows that price whatever the harness serves: the mock models free, anything else priced. */
export const CATCH_ALL_PRICE_ROWS = [
  { providerKind: 'mock', model: 'mock*', free: true },
  { model: '*', inputMicrosPer1M: '150000', outputMicrosPer1M: '600000' },
]

/** An organization with `versions` published budget policy versions (spend caps 1M, 2M, …). */
export async function organizationWithBudgetPolicies(
  h: AdminHarness,
  versions: number,
): Promise<string> {
  const organizationId = await h.createOrganization()
  for (let i = 1; i <= versions; i++) {
    await h.services.budgetPolicies.publish(SETUP_AUDIT, {
      organizationId,
      keyId: null,
      content: {
        monthlyTokenLimit: null,
        monthlySpendCapMicros: BigInt(i) * 1_000_000n,
        hardCapMicros: null,
        thresholds: { warnBelowMicros: null, downgradeBelowMicros: null, blockBelowMicros: null },
        overage: 'block',
        rateLimits: {},
      },
    })
  }
  return organizationId
}

/** Fixtures of the pricing and budget routes (spread into ROUTE_FIXTURES). */
export const PRICING_BUDGET_ROUTE_FIXTURES = {
  'POST /price-tables': {
    prepare: (h: AdminHarness) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: { rows: CATCH_ALL_PRICE_ROWS, note: 'fixture prices' },
      }),
  },
  'POST /orgs/:organizationId/price-overrides': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: { markupBps: 1500 },
    }),
  },
  'POST /orgs/:organizationId/budget-policies': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: {
        monthlySpendCapMicros: '5000000',
        thresholds: { warnBelowMicros: '1000000' },
        overage: 'downgrade',
      },
    }),
  },
  'POST /orgs/:organizationId/budget-policies/rollback': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await organizationWithBudgetPolicies(h, 2) },
      body: { toVersion: 1, ...reason('bad_cap_published') },
    }),
  },
  'PUT /orgs/:organizationId/budget-policies/hard-cap': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await organizationWithBudgetPolicies(h, 1) },
      body: { hardCapMicros: '50000000', ...reason('temporary_quota_raise_for_launch') },
    }),
  },
}
