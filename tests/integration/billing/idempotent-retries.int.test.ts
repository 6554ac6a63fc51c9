import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BILLING_ACTOR,
  billingOn,
  codeOf,
  createBillingFixture,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { testDialects } from '../../support/test-db.js'

/**
 * Concurrent retries of one admin posting (a client that times out and retries, twice at once)
 * post it once: every identical retry answers the same entry, one audit event is written, and
 * a different operation under the same key is refused with 409.
 */
for (const dialect of testDialects()) {
  for (const strategy of ['memory', 'database'] as const) {
    describe(`${dialect}/${strategy}: concurrent idempotent retries`, () => {
      let fixture: BillingFixture
      beforeAll(async () => {
        fixture = await createBillingFixture(dialect, { poolMax: 8 })
      })
      afterAll(() => fixture.destroy())

      const credit = (
        billing: ReturnType<typeof billingOn>,
        input: { organizationId: string; key: string; amount: bigint },
      ) =>
        billing.ledger.credit(BILLING_ACTOR, {
          organizationId: input.organizationId,
          environment: 'live',
          amountMicros: input.amount,
          category: 'paid',
          idempotencyKey: input.key,
        })

      it('answers one entry to every identical retry, on a new account and an existing one', async () => {
        const billing = billingOn(fixture.db, { clock: fixture.clock, strategy })
        const organizationId = await fixture.createOrganization()
        for (const [round, key] of ['first-ever', 'second'].entries()) {
          const results = await Promise.all(
            Array.from({ length: 12 }, () =>
              credit(billing, { organizationId, key, amount: 500n }),
            ),
          )
          expect(new Set(results.map((e) => e.entryId)).size).toBe(1)
          const balance = await billing.ledger.balance(organizationId)
          expect(balance.accounts[0]?.balanceMicros).toBe(500n * BigInt(round + 1))
        }
        const audited = await fixture.db
          .selectFrom('audit_events')
          .select('audit_event_id')
          .where('action', '=', 'billing.credit')
          .where('organization_id', '=', organizationId)
          .execute()
        expect(audited).toHaveLength(2)
        const reconciled = await billing.ledger.reconcile(organizationId, 'live')
        expect(reconciled.sumOfEntriesMicros).toBe(reconciled.balanceMicros)
        await billing.stop()
      })

      it('refuses another operation under the key with 409, even concurrently', async () => {
        const billing = billingOn(fixture.db, { clock: fixture.clock, strategy })
        const organizationId = await fixture.createOrganization()
        const codes = await Promise.all(
          [100n, 200n, 100n, 200n].map((amount) =>
            codeOf(credit(billing, { organizationId, key: 'clash', amount })),
          ),
        )
        expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(1)
        expect(codes.every((c) => c === 'ok' || c === 'idempotency_key_reused')).toBe(true)
        const balance = (await billing.ledger.balance(organizationId)).accounts[0]?.balanceMicros
        expect([100n, 200n]).toContain(balance)
        await billing.stop()
      })
    })
  }
}
