import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Billing } from '../../../src/billing/index.js'
import {
  BILLING_ACTOR,
  billingOn,
  codeOf,
  createBillingFixture,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { testDialects } from '../../support/test-db.js'

const SECOND_ADMIN = { audit: BILLING_ACTOR.audit, adminId: 'adm_test_second' }

/**
 * What an admin billing operation refuses, and what it must not let through twice: a replay
 * that differs, a credit already expired, a balance past BIGINT, an approval used twice or on
 * another account, a paid invoice applied twice, an invoice of a month not begun.
 */
for (const dialect of testDialects()) {
  describe(`${dialect}: admin billing operations refuse what would be wrong`, () => {
    let fx: BillingFixture
    let billing: Billing
    beforeAll(async () => {
      fx = await createBillingFixture(dialect, { poolMax: 4 })
      billing = billingOn(fx.db, {
        clock: fx.clock,
        strategy: 'memory',
        settings: { approvalThresholdMicros: 1_000_000n },
      })
    })
    afterAll(async () => {
      await billing.stop()
      await fx.destroy()
    })

    const credit = (organizationId: string, over: Record<string, unknown> = {}) =>
      billing.ledger.credit(BILLING_ACTOR, {
        organizationId,
        environment: 'live',
        amountMicros: 500n,
        category: 'paid',
        idempotencyKey: 'credit-1',
        ...over,
      })
    const liveBalance = async (organizationId: string) =>
      (await billing.ledger.balance(organizationId)).accounts.find((a) => a.environment === 'live')
        ?.balanceMicros ?? 0n

    it('answers a retry with a different expiry, invoice or approval under one key with 409, posting nothing', async () => {
      const organizationId = await fx.createOrganization()
      const first = await credit(organizationId)
      expect((await credit(organizationId)).entryId).toBe(first.entryId)
      const later = new Date(fx.clock.nowMs() + 86_400_000).toISOString()
      expect(await codeOf(credit(organizationId, { expiresAt: later }))).toBe(
        'idempotency_key_reused',
      )
      expect(await codeOf(credit(organizationId, { invoiceId: 'INV-1' }))).toBe(
        'idempotency_key_reused',
      )
      const invoiced = await credit(organizationId, {
        idempotencyKey: 'credit-2',
        invoiceId: 'INV-1',
      })
      expect(
        await codeOf(credit(organizationId, { idempotencyKey: 'credit-2', invoiceId: 'INV-2' })),
      ).toBe('idempotency_key_reused')
      expect(
        (await credit(organizationId, { idempotencyKey: 'credit-2', invoiceId: 'INV-1' })).entryId,
      ).toBe(invoiced.entryId)
      expect(await liveBalance(organizationId)).toBe(1_000n)
    })

    it('refuses a credit whose expiry has passed, and still replays one that expired after it posted', async () => {
      const organizationId = await fx.createOrganization()
      const past = new Date(fx.clock.nowMs() - 1).toISOString()
      expect(await codeOf(credit(organizationId, { expiresAt: past }))).toBe('expiry_in_past')
      expect(await liveBalance(organizationId)).toBe(0n)
      const soon = new Date(fx.clock.nowMs() + 1_000).toISOString()
      const posted = await credit(organizationId, { idempotencyKey: 'soon', expiresAt: soon })
      fx.clock.advance(2_000)
      expect(
        (await credit(organizationId, { idempotencyKey: 'soon', expiresAt: soon })).entryId,
      ).toBe(posted.entryId)
    })

    it('refuses a credit that would take the balance past 2^63 − 1 micros with a 409, changing nothing', async () => {
      const organizationId = await fx.createOrganization()
      const big = 2n ** 62n
      const approve = async (idempotencyKey: string) => {
        const approval = await billing.ledger.requestApproval(BILLING_ACTOR, {
          organizationId,
          environment: 'live',
          action: 'billing.credit',
          amountMicros: big,
        })
        await billing.ledger.grantApproval(SECOND_ADMIN, approval.approvalId)
        return credit(organizationId, {
          amountMicros: big,
          idempotencyKey,
          approvalId: approval.approvalId,
        })
      }
      await approve('big-1')
      expect(await codeOf(approve('big-2'))).toBe('balance_limit_exceeded')
      expect(await liveBalance(organizationId)).toBe(big)
    })

    it('lets one approval be used once, by concurrent postings, and only on the account it names', async () => {
      const organizationId = await fx.createOrganization()
      const approval = await billing.ledger.requestApproval(BILLING_ACTOR, {
        organizationId,
        environment: 'test',
        action: 'billing.credit',
        amountMicros: 2_000_000n,
      })
      expect(approval.environment).toBe('test')
      await billing.ledger.grantApproval(SECOND_ADMIN, approval.approvalId)
      const codes = await Promise.all(
        (['live', 'test'] as const).flatMap((environment) =>
          Array.from({ length: 4 }, (_, i) =>
            codeOf(
              billing.ledger.credit(BILLING_ACTOR, {
                organizationId,
                environment,
                amountMicros: 2_000_000n,
                category: 'paid',
                idempotencyKey: `approved-${environment}-${i}`,
                approvalId: approval.approvalId,
              }),
            ).then((code) => ({ environment, code })),
          ),
        ),
      )
      // The live postings cite an approval for the test account: refused, whatever the timing.
      expect(codes.filter((c) => c.environment === 'live').map((c) => c.code)).toEqual(
        Array(4).fill('approval_not_usable'),
      )
      const test = codes.filter((c) => c.environment === 'test').map((c) => c.code)
      expect(test.filter((c) => c === 'ok')).toHaveLength(1)
      expect(test.filter((c) => c !== 'ok')).toEqual(Array(3).fill('approval_not_usable'))
      const { accounts } = await billing.ledger.balance(organizationId)
      expect(accounts.find((a) => a.environment === 'test')?.balanceMicros).toBe(2_000_000n)
      expect(accounts.find((a) => a.environment === 'live')?.balanceMicros ?? 0n).toBe(0n)
      expect((await billing.ledger.getApproval(approval.approvalId)).status).toBe('used')
    })

    it('applies a paid invoice once: another key for the same invoice is a 409 until the application is voided', async () => {
      const organizationId = await fx.createOrganization()
      const apply = (idempotencyKey: string, environment: 'live' | 'test' = 'live') =>
        credit(organizationId, { idempotencyKey, environment, invoiceId: 'INV-2026-03-7' })
      const first = await apply('inv-a')
      expect(first.kind).toBe('invoice_application')
      expect(await codeOf(apply('inv-b'))).toBe('invoice_already_applied')
      expect(await codeOf(apply('inv-c', 'test'))).toBe('invoice_already_applied')
      // The retry of the first application is still that application, not a refusal.
      expect((await apply('inv-a')).entryId).toBe(first.entryId)
      // Another invoice, and the same invoice id at another organization, are their own.
      expect(
        (await credit(organizationId, { idempotencyKey: 'inv-d', invoiceId: 'INV-8' })).kind,
      ).toBe('invoice_application')
      const other = await fx.createOrganization()
      expect(
        (await credit(other, { idempotencyKey: 'inv-a', invoiceId: 'INV-2026-03-7' })).kind,
      ).toBe('invoice_application')
      expect(await liveBalance(organizationId)).toBe(1_000n)
      await billing.ledger.void(BILLING_ACTOR, {
        entryId: first.entryId,
        idempotencyKey: 'void-inv-a',
      })
      const again = await apply('inv-e')
      expect(again.entryId).not.toBe(first.entryId)
      expect(await liveBalance(organizationId)).toBe(1_000n)
    })

    it('applies one invoice once when several keys race for it, to one account or to both', async () => {
      const organizationId = await fx.createOrganization()
      const codes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          codeOf(
            credit(organizationId, {
              idempotencyKey: `race-${i}`,
              invoiceId: 'INV-RACE',
              environment: i % 2 === 0 ? 'live' : 'test',
            }),
          ),
        ),
      )
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1)
      expect(codes.filter((c) => c !== 'ok')).toEqual(Array(7).fill('invoice_already_applied'))
      const { accounts } = await billing.ledger.balance(organizationId)
      expect(accounts.reduce((sum, a) => sum + a.balanceMicros, 0n)).toBe(500n)
    })

    it('refuses an invoice of a month that has not started', async () => {
      const organizationId = await fx.createOrganization()
      const invoice = (month: string) =>
        billing.ledger.invoice(BILLING_ACTOR.audit, {
          organizationId,
          environment: 'live',
          month,
          format: 'json',
        })
      // The fixture's clock is in 2026-03.
      expect((await invoice('2026-03')).month).toBe('2026-03')
      expect(await codeOf(invoice('2026-04'))).toBe('month_not_started')
    })
  })
}
