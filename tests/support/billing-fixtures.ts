import { SETUP_AUDIT, type AdminHarness } from './admin-harness.js'

let counter = 0
const reason = (code: string) => ({ reason: { code } })

/** The setup actor for billing services (not an admin of the harness). */
export const SETUP_BILLING_ACTOR = { audit: SETUP_AUDIT, adminId: 'cli:test' }

/** A unique idempotency key. */
export function idempotencyKey(prefix = 'fixture'): string {
  counter += 1
  return `${prefix}-${counter}-${Date.now()}`
}

/** A new organization with `amountMicros` of paid credit (live), through the services. */
export async function fundedOrganization(
  h: AdminHarness,
  amountMicros = 10_000_000n,
): Promise<{ organizationId: string; creditEntryId: string }> {
  const organizationId = await h.createOrganization()
  const entry = await h.services.billing.credit(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    amountMicros,
    category: 'paid',
    idempotencyKey: idempotencyKey('fund'),
  })
  return { organizationId, creditEntryId: entry.entryId }
}

/** A settled usage charge on a funded organization: hold, then settle as completed. */
export async function settledRequest(h: AdminHarness, costMicros = 1_000_000n) {
  const { organizationId } = await fundedOrganization(h)
  const requestId = `req_fixture_${idempotencyKey('r')}`
  const hold = await h.runtime.billing.holds.place({
    organizationId,
    environment: 'live',
    amountMicros: costMicros * 2n,
    requestId,
  })
  if (!hold.ok) throw new Error('fixture hold refused')
  const entry = await h.runtime.billing.holds.settle({ hold, outcome: 'completed', costMicros })
  return { organizationId, requestId, settlementEntryId: entry!.entryId }
}

/** Fixtures for the billing admin routes (see route-fixtures.ts). */
export const BILLING_ROUTE_FIXTURES = {
  'POST /orgs/:organizationId/billing/credits': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: {
        amountMicros: '5000000',
        category: 'promotional',
        expiresAt: '2030-01-01T00:00:00Z',
        idempotencyKey: idempotencyKey(),
        ...reason('billing_dispute_credit'),
      },
    }),
  },
  'POST /orgs/:organizationId/billing/refunds': {
    prepare: async (h: AdminHarness) => {
      const settled = await settledRequest(h)
      return {
        as: { token: h.ownerToken },
        params: { organizationId: settled.organizationId },
        body: {
          requestId: settled.requestId,
          settlementEntryId: settled.settlementEntryId,
          amountMicros: '400000',
          idempotencyKey: idempotencyKey(),
          ...reason('failed_request_refund'),
        },
      }
    },
  },
  'POST /billing/entries/:entryId/void': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { entryId: (await fundedOrganization(h)).creditEntryId },
      body: { idempotencyKey: idempotencyKey(), ...reason('credit_entered_twice') },
    }),
  },
  'POST /orgs/:organizationId/billing/adjustments': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: (await fundedOrganization(h)).organizationId },
      body: {
        direction: 'debit',
        amountMicros: '250000',
        idempotencyKey: idempotencyKey(),
        ...reason('usage_outside_gateway'),
      },
    }),
  },
  'POST /orgs/:organizationId/billing/approvals': {
    prepare: async (h: AdminHarness) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: { action: 'billing.credit', amountMicros: '5000000000' },
    }),
  },
  'POST /billing/approvals/:approvalId/grant': {
    prepare: async (h: AdminHarness) => {
      const approval = await h.services.billing.requestApproval(
        { audit: SETUP_AUDIT, adminId: 'adm_another_admin' },
        {
          organizationId: await h.createOrganization(),
          environment: 'live',
          action: 'billing.refund',
          amountMicros: 5_000_000_000n,
        },
      )
      return {
        as: { token: h.ownerToken },
        params: { approvalId: approval.approvalId },
        body: reason('large_refund_checked'),
      }
    },
  },
} as const
