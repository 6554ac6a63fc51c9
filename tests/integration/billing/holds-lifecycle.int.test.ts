import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOLD_STRATEGIES, type Billing } from '../../../src/billing/index.js'
import { CREDIT_EXPIRY_ACTOR_ID } from '../../../src/billing/credit-expiry.js'
import { dialectOf, type Db } from '../../../src/storage/index.js'
import {
  BILLING_ACTOR,
  billingOn,
  codeOf,
  createBillingFixture,
  fundLive,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { testDialects } from '../../support/test-db.js'

async function funded(fx: BillingFixture, billing: Billing, amountMicros: bigint) {
  const organizationId = await fx.createOrganization()
  await fundLive(billing, organizationId, amountMicros)
  return organizationId
}

async function liveAccount(billing: Billing, organizationId: string) {
  const { accounts } = await billing.ledger.balance(organizationId)
  return accounts.find((a) => a.environment === 'live')!
}

async function poisonSettlements(db: Db): Promise<() => Promise<void>> {
  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER test_poison BEFORE INSERT ON ledger_entries
      WHEN NEW.model_served = 'poison' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`.execute(
      db,
    )
    return async () => {
      await sql`DROP TRIGGER test_poison`.execute(db)
    }
  }
  await sql`CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.model_served = 'poison' THEN RAISE EXCEPTION 'injected failure'; END IF;
    RETURN NEW; END $$`.execute(db)
  await sql`CREATE TRIGGER test_poison BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION test_poison()`.execute(db)
  return async () => {
    await sql`DROP TRIGGER test_poison ON ledger_entries`.execute(db)
  }
}

for (const dialect of testDialects()) {
  for (const strategy of HOLD_STRATEGIES) {
    describe(`${dialect}, ${strategy} holds: lifecycle`, () => {
      let fx: BillingFixture
      const running: Billing[] = []
      const start = (settings: { settlementBatchDelayMs?: number; holdTtlMs?: number } = {}) => {
        const billing = billingOn(fx.db, {
          clock: fx.clock,
          strategy: strategy,
          settings,
        })
        running.push(billing)
        return billing
      }
      beforeAll(async () => {
        fx = await createBillingFixture(dialect)
      })
      afterAll(async () => {
        for (const billing of running) await billing.stop()
        await fx.destroy()
      })

      it('releases the holds of a crashed process: the reaper on start and on schedule', async () => {
        const crashed = start({ holdTtlMs: 60_000 })
        const organizationId = await funded(fx, crashed, 1_000n)
        const hold = await crashed.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 800n,
          requestId: 'req_crash',
        })
        expect(hold.ok).toBe(true)
        // The process dies here: no settle, no release, no stop.
        fx.clock.advance(60_001)
        const restarted = start()
        await restarted.start()
        const account = await liveAccount(restarted, organizationId)
        expect(account.balanceMicros).toBe(1_000n)
        expect(account.heldMicros).toBe(0n)
        const again = await restarted.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 1_000n,
          requestId: 'req_after_restart',
        })
        expect(again.ok).toBe(true)
        if (!again.ok) return
        // The periodic reaper releases holds that outlive their expiry.
        fx.clock.advance(11 * 60_000)
        expect(await restarted.holds.reapExpired()).toBeGreaterThanOrEqual(1)
        expect(again.state).toBe('expired')
        expect((await liveAccount(restarted, organizationId)).heldMicros).toBe(0n)
        await expect(restarted.holds.release(again)).rejects.toMatchObject({
          code: 'hold_already_resolved',
        })
        // A late settlement of an expired hold charges once, from what is available.
        const late = await restarted.holds.settle({
          hold: again,
          outcome: 'completed',
          costMicros: 300n,
        })
        expect(late?.amountMicros).toBe(-300n)
        expect(late?.holdMicros).toBe(0n)
        expect(
          await codeOf(
            restarted.holds.settle({ hold: again, outcome: 'completed', costMicros: 1n }),
          ),
        ).toBe('hold_already_resolved')
      })

      it('resolves settle only once its entry is committed, in a group of settlements', async () => {
        const billing = start({ settlementBatchDelayMs: 40 })
        const organizationId = await funded(fx, billing, 10_000n)
        const holds = await Promise.all(
          [1, 2, 3, 4].map(async (i) => {
            const hold = await billing.holds.place({
              organizationId,
              environment: 'live',
              amountMicros: 1_000n,
              requestId: `req_group_${i}`,
            })
            if (!hold.ok) throw new Error('hold refused')
            return hold
          }),
        )
        const settling = holds.map((hold) =>
          billing.holds.settle({
            hold,
            outcome: 'completed',
            costMicros: 250n,
            modelServed: 'mock',
          }),
        )
        const countCharges = async () =>
          (
            await fx.db
              .selectFrom('ledger_entries')
              .select('entry_id')
              .where('organization_id', '=', organizationId)
              .where('kind', '=', 'usage_charge')
              .execute()
          ).length
        expect(await countCharges()).toBe(0)
        const entries = await Promise.all(settling)
        expect(await countCharges()).toBe(4)
        // One batch: one transaction, consecutive versions, one timestamp.
        expect(new Set(entries.map((e) => e!.createdAt)).size).toBe(1)
        expect(entries.map((e) => e!.accountVersion).sort()).toEqual([2n, 3n, 4n, 5n])
        expect((await liveAccount(billing, organizationId)).balanceMicros).toBe(9_000n)
        // Listed newest first, the batch's entries (one millisecond) are in version order too,
        // each balance the one after the entry below it.
        const listed = await billing.ledger.listEntries({ organizationId, limit: 10 })
        expect(listed.map((e) => e.accountVersion)).toEqual([5n, 4n, 3n, 2n, 1n])
        expect(listed.map((e) => e.balanceAfterMicros)).toEqual([
          9_000n,
          9_250n,
          9_500n,
          9_750n,
          10_000n,
        ])
      })

      it('rejects every settle of a failed batch and charges none of them', async () => {
        const billing = start({ settlementBatchDelayMs: 40 })
        const organizationId = await funded(fx, billing, 10_000n)
        const place = async (i: number) => {
          const hold = await billing.holds.place({
            organizationId,
            environment: 'live',
            amountMicros: 1_000n,
            requestId: `req_fail_${i}`,
          })
          if (!hold.ok) throw new Error('hold refused')
          return hold
        }
        const [a, b] = [await place(1), await place(2)]
        const restore = await poisonSettlements(fx.db)
        let outcomes: PromiseSettledResult<unknown>[]
        try {
          outcomes = await Promise.allSettled([
            billing.holds.settle({
              hold: a,
              outcome: 'completed',
              costMicros: 100n,
              modelServed: 'ok',
            }),
            billing.holds.settle({
              hold: b,
              outcome: 'completed',
              costMicros: 100n,
              modelServed: 'poison',
            }),
          ])
        } finally {
          await restore()
        }
        expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
        const account = await liveAccount(billing, organizationId)
        expect(account.balanceMicros).toBe(10_000n)
        expect(account.heldMicros).toBe(0n)
        // The next request sees the whole balance again: nothing is stuck in the book or the DB.
        const next = await place(3)
        const entry = await billing.holds.settle({
          hold: next,
          outcome: 'completed',
          costMicros: 100n,
        })
        expect(entry?.balanceAfterMicros).toBe(9_900n)
      })

      it('settles each outcome by the rule table and records the model that served', async () => {
        const billing = start()
        const organizationId = await funded(fx, billing, 100_000n)
        const settle = async (outcome: Parameters<Billing['holds']['settle']>[0]['outcome']) => {
          const hold = await billing.holds.place({
            organizationId,
            environment: 'live',
            amountMicros: 5_000n,
            requestId: `req_${outcome}`,
          })
          if (!hold.ok) throw new Error('hold refused')
          return billing.holds.settle({
            hold,
            outcome,
            costMicros: 700n,
            inputCostMicros: 900n,
            modelServed: 'fallback-model',
            details: { promptTokens: 12, completionTokens: 3 },
          })
        }
        expect(await settle('rejected_pre_dispatch')).toBeNull()
        expect(await settle('upstream_failed_no_output')).toMatchObject({
          kind: 'usage_waiver',
          amountMicros: 0n,
          waivedMicros: 900n,
          settlementRule: 'zero_completion_waiver@1',
          counterAccount: 'platform:waivers',
        })
        expect(await settle('client_aborted')).toMatchObject({
          kind: 'usage_charge',
          amountMicros: -900n,
          settlementRule: 'charge_delivered_at_least_input@1',
        })
        expect(await settle('upstream_failed_partial')).toMatchObject({ amountMicros: -700n })
        const completed = await settle('completed')
        expect(completed).toMatchObject({
          amountMicros: -700n,
          holdMicros: 5_000n,
          modelServed: 'fallback-model',
          outcome: 'completed',
          requestId: 'req_completed',
          details: { completionTokens: 3, promptTokens: 12 },
        })
        const account = await liveAccount(billing, organizationId)
        expect(account.balanceMicros).toBe(100_000n - 900n - 700n - 700n)
        expect(account.heldMicros).toBe(0n)
      })

      it('extends a streaming hold while the balance covers it, and refuses beyond', async () => {
        const billing = start()
        const organizationId = await funded(fx, billing, 3_000n)
        const hold = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 1_000n,
          requestId: 'req_stream',
        })
        if (!hold.ok) throw new Error('hold refused')
        expect((await hold.extend(1_500n)).ok).toBe(true)
        expect(hold.amountMicros).toBe(2_500n)
        const refused = await hold.extend(600n)
        expect(refused).toMatchObject({
          ok: false,
          code: 'insufficient_quota',
          availableMicros: 500n,
        })
        const entry = await billing.holds.settle({
          hold,
          outcome: 'client_aborted',
          costMicros: 2_400n,
        })
        expect(entry?.amountMicros).toBe(-2_400n)
        expect(await codeOf(hold.extend(1n))).toBe('hold_already_resolved')
        expect((await liveAccount(billing, organizationId)).availableMicros).toBe(600n)
      })

      it('lapses what is left of an expiring credit, never money a hold reserved', async () => {
        const billing = start()
        const credit = (
          organizationId: string,
          over: { amountMicros: bigint; expiresAt?: string },
        ) =>
          billing.ledger.credit(BILLING_ACTOR, {
            organizationId,
            environment: 'live',
            category: over.expiresAt ? 'promotional' : 'paid',
            idempotencyKey: `c-${over.amountMicros}-${over.expiresAt ?? 'none'}`,
            ...over,
          })
        const tomorrow = new Date(fx.clock.nowMs() + 86_400_000).toISOString()
        const spend = async (organizationId: string, costMicros: bigint, keep = false) => {
          const hold = await billing.holds.place({
            organizationId,
            environment: 'live',
            amountMicros: costMicros,
            requestId: `req_spend_${costMicros}`,
          })
          if (!hold.ok) throw new Error('hold refused')
          if (keep) return hold
          await billing.holds.settle({ hold, outcome: 'completed', costMicros })
          return hold
        }
        // Spending draws from the expiring grant first: 500 − 200 = 300 left to lapse.
        const a = await fx.createOrganization()
        await credit(a, { amountMicros: 1_000n })
        const grantA = await credit(a, { amountMicros: 500n, expiresAt: tomorrow })
        await spend(a, 200n)
        // Here a hold reserves 1,250 of 1,300: only 50 of the grant's 300 can lapse.
        const b = await fx.createOrganization()
        await credit(b, { amountMicros: 1_000n })
        await credit(b, { amountMicros: 500n, expiresAt: tomorrow })
        await spend(b, 200n)
        const held = await spend(b, 1_250n, true)

        expect(await billing.expireCredits()).toBe(0)
        fx.clock.advance(2 * 86_400_000)
        expect(await billing.expireCredits()).toBeGreaterThanOrEqual(2)
        expect(await billing.expireCredits()).toBe(0)
        const lapsedA = await billing.ledger.listEntries({
          organizationId: a,
          kind: 'credit_expiry',
          limit: 5,
        })
        expect(lapsedA).toMatchObject([
          { amountMicros: -300n, balanceAfterMicros: 1_000n, originalEntryId: grantA.entryId },
        ])
        // No customer request caused it: its audit event (system actor, same transaction) did.
        const { auditEventId } = await billing.ledger.getEntry(lapsedA[0]!.entryId)
        const event = await fx.db
          .selectFrom('audit_events')
          .selectAll()
          .where('audit_event_id', '=', auditEventId!)
          .executeTakeFirstOrThrow()
        expect(event).toMatchObject({
          action: 'billing.credit_expiry',
          actor_type: 'system',
          actor_id: CREDIT_EXPIRY_ACTOR_ID,
          organization_id: a,
          target_id: lapsedA[0]!.entryId,
        })
        expect((await liveAccount(billing, b)).balanceMicros).toBe(1_250n)
        expect(
          await codeOf(
            billing.ledger.void(BILLING_ACTOR, { entryId: grantA.entryId, idempotencyKey: 'v' }),
          ),
        ).toBe('entry_not_voidable')
        // The held request still settles in full: its money was never taken by the expiry.
        if (held.state === 'expired') return // database holds may have been reaped meanwhile
        const entry = await billing.holds.settle({
          hold: held,
          outcome: 'completed',
          costMicros: 1_250n,
        })
        expect(entry?.balanceAfterMicros).toBe(0n)
        for (const org of [a, b]) {
          const r = await billing.ledger.reconcile(org, 'live')
          expect(r.sumOfEntriesMicros).toBe(r.balanceMicros)
          // Every entry cites what caused it: a customer request or an audit event.
          for (const e of await billing.ledger.listEntries({ organizationId: org, limit: 50 })) {
            const cause = e.requestId ?? (await billing.ledger.getEntry(e.entryId)).auditEventId
            expect(cause, `${e.kind} ${e.entryId}`).not.toBeNull()
          }
        }
      })

      it('lapses exactly what settlements racing the expiry left of a credit', async () => {
        const billing = start({ settlementBatchDelayMs: 1 })
        for (let round = 0; round < 4; round++) {
          const organizationId = await funded(fx, billing, 1_000n)
          const grant = await billing.ledger.credit(BILLING_ACTOR, {
            organizationId,
            environment: 'live',
            amountMicros: 500n,
            category: 'promotional',
            expiresAt: new Date(fx.clock.nowMs() + 60_000).toISOString(),
            idempotencyKey: `race-grant-${round}`,
          })
          const holds = await Promise.all(
            Array.from({ length: 10 }, async (_, i) => {
              const hold = await billing.holds.place({
                organizationId,
                environment: 'live',
                amountMicros: 30n,
                requestId: `req_race_${round}_${i}`,
              })
              if (!hold.ok) throw new Error('hold refused')
              return hold
            }),
          )
          fx.clock.advance(120_000)
          // The expiry's replay runs while the settlements commit, some before its lock, some after.
          const settled = holds.map((hold, i) =>
            new Promise((resolve) => setTimeout(resolve, i % 4)).then(() =>
              billing.holds.settle({ hold, outcome: 'completed', costMicros: 30n }),
            ),
          )
          await Promise.all([billing.expireCredits(), ...settled])
          const [lapse] = await billing.ledger.listEntries({
            organizationId,
            kind: 'credit_expiry',
            limit: 2,
          })
          expect(lapse?.originalEntryId).toBe(grant.entryId)
          const charges = await billing.ledger.listEntries({
            organizationId,
            kind: 'usage_charge',
            limit: 20,
          })
          expect(charges).toHaveLength(10)
          // Spending draws on the expiring grant first: what lapses is what the charges posted
          // before the expiry left of it, to the micro.
          const before = charges.filter((c) => c.accountVersion < lapse!.accountVersion)
          expect(lapse!.amountMicros).toBe(-(500n - 30n * BigInt(before.length)))
          expect((await liveAccount(billing, organizationId)).balanceMicros).toBe(
            1_500n - 300n + lapse!.amountMicros,
          )
          const r = await billing.ledger.reconcile(organizationId, 'live')
          expect(r.sumOfEntriesMicros).toBe(r.balanceMicros)
        }
      })

      it('lets a refund of usage paid from an expiring credit rejoin the balance without expiry', async () => {
        const billing = start()
        const organizationId = await fx.createOrganization()
        const tomorrow = new Date(fx.clock.nowMs() + 86_400_000).toISOString()
        // Only expiring credit: the usage is paid from it.
        const grant = await billing.ledger.credit(BILLING_ACTOR, {
          organizationId,
          environment: 'live',
          amountMicros: 500n,
          category: 'promotional',
          expiresAt: tomorrow,
          idempotencyKey: 'expiring-grant',
        })
        const hold = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 200n,
          requestId: 'req_paid_from_grant',
        })
        if (!hold.ok) throw new Error('hold refused')
        const charge = await billing.holds.settle({ hold, outcome: 'completed', costMicros: 200n })
        const refund = await billing.ledger.refund(BILLING_ACTOR, {
          organizationId,
          requestId: 'req_paid_from_grant',
          settlementEntryId: charge!.entryId,
          amountMicros: 150n,
          idempotencyKey: 'refund-from-grant',
        })
        expect(refund).toMatchObject({ kind: 'refund', amountMicros: 150n, expiresAt: null })
        expect((await liveAccount(billing, organizationId)).balanceMicros).toBe(450n)

        // At the grant's expiry only its unspent 300 lapses; the refunded 150 stays, and never
        // expires (it is credit without expiry now, not the grant reinstated).
        fx.clock.advance(2 * 86_400_000)
        expect(await billing.expireCredits()).toBe(1)
        const lapsed = await billing.ledger.listEntries({
          organizationId,
          kind: 'credit_expiry',
          limit: 5,
        })
        expect(lapsed).toMatchObject([
          { amountMicros: -300n, balanceAfterMicros: 150n, originalEntryId: grant.entryId },
        ])
        fx.clock.advance(365 * 86_400_000)
        expect(await billing.expireCredits()).toBe(0)
        expect((await liveAccount(billing, organizationId)).balanceMicros).toBe(150n)
        const r = await billing.ledger.reconcile(organizationId, 'live')
        expect(r.sumOfEntriesMicros).toBe(r.balanceMicros)
      })

      it('never lets an admin debit take money that a hold reserved', async () => {
        const billing = start()
        const organizationId = await funded(fx, billing, 1_000n)
        const hold = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 700n,
          requestId: 'req_reserved',
        })
        expect(hold.ok).toBe(true)
        const debit = (amountMicros: bigint, key: string) =>
          billing.ledger.adjust(BILLING_ACTOR, {
            organizationId,
            environment: 'live',
            direction: 'debit',
            amountMicros,
            idempotencyKey: key,
          })
        expect(await codeOf(debit(301n, 'd1'))).toBe('insufficient_balance')
        expect(await codeOf(debit(300n, 'd2'))).toBe('ok')
        const placed = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 1n,
          requestId: 'req_none_left',
        })
        expect(placed).toMatchObject({ ok: false, availableMicros: 0n, requestedMicros: 1n })
      })
    })
  }
}
