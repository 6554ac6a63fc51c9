import type { AuditContext } from '../../src/audit/audit-event.js'
import { createAuditLog } from '../../src/audit/index.js'
import {
  createBilling,
  type Billing,
  type BillingSettings,
  type HoldStrategy,
} from '../../src/billing/index.js'
import { createLocalInvalidation } from '../../src/invalidation/index.js'
import { createManualClock, type ManualClock } from '../../src/lib/clock.js'
import { createOrganizationsService } from '../../src/organizations/index.js'
import type { Db, Dialect } from '../../src/storage/index.js'
import { createTestDb, type TestDb } from './test-db.js'

/** An admin's context for billing operations in tests. */
export const BILLING_AUDIT: AuditContext = {
  actor: { type: 'user', id: 'adm_test_billing', role: 'billing' },
  ip: null,
  userAgent: null,
  requestId: 'req_admin_test',
  reason: { code: 'test_billing' },
}
export const BILLING_ACTOR = { audit: BILLING_AUDIT, adminId: 'adm_test_billing' }

/** A billing instance (one "process") over a database. */
export function billingOn(
  db: Db,
  options: { clock: ManualClock; strategy: HoldStrategy; settings?: Partial<BillingSettings> },
): Billing {
  return createBilling({
    db,
    auditLog: createAuditLog({ db, clock: options.clock }),
    clock: options.clock,
    settings: {
      holds: options.strategy,
      approvalThresholdMicros: 10n ** 15n,
      ...options.settings,
    },
  })
}

/** Credit an organization's live account with paid credit (key `fund-<organizationId>`). */
export function fundLive(billing: Billing, organizationId: string, amountMicros: bigint) {
  return billing.ledger.credit(BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    amountMicros,
    category: 'paid',
    idempotencyKey: `fund-${organizationId}`,
  })
}

/** A fresh database, a manual clock, and a helper to create organizations. */
export async function createBillingFixture(dialect: Dialect, options: { poolMax?: number } = {}) {
  const testDb: TestDb = await createTestDb(dialect, options)
  const clock = createManualClock(Date.UTC(2026, 2, 10, 12))
  const organizations = createOrganizationsService({
    db: testDb.db,
    auditLog: createAuditLog({ db: testDb.db, clock }),
    clock,
    invalidation: createLocalInvalidation(),
  })
  let n = 0
  return {
    testDb,
    db: testDb.db,
    clock,
    createOrganization: async () => {
      n += 1
      return (await organizations.create(BILLING_AUDIT, { name: `Org ${n}` })).organizationId
    },
    destroy: () => testDb.destroy(),
  }
}

export type BillingFixture = Awaited<ReturnType<typeof createBillingFixture>>

/** The error code of a rejected promise (FerryError), or 'ok'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') return code
    throw err
  }
}
