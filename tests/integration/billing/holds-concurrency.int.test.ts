import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOLD_STRATEGIES, type Billing, type HoldStrategy } from '../../../src/billing/index.js'
import { createDb, type DatabaseHandle, type Dialect } from '../../../src/storage/index.js'
import {
  BILLING_ACTOR,
  billingOn,
  createBillingFixture,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { recordReliability } from '../../support/reliability-log.js'
import { testDialects } from '../../support/test-db.js'

const REQUESTS = 1000
const COST = 7_000n
const COVERED = 137n
// Enough for 137 requests and half of the 138th: the 138th must not get in.
const BALANCE = COVERED * COST + COST / 2n

/** Instances ("processes") sharing the database: database holds only. */
function instanceCount(strategy: HoldStrategy, dialect: Dialect): number {
  if (strategy === 'memory') return 1
  return dialect === 'postgres' ? 4 : 2
}

for (const dialect of testDialects()) {
  for (const strategy of HOLD_STRATEGIES) {
    describe(`${dialect}, ${strategy} holds: ${REQUESTS} concurrent requests`, () => {
      let fx: BillingFixture
      const handles: DatabaseHandle[] = []
      const instances: Billing[] = []
      beforeAll(async () => {
        fx = await createBillingFixture(dialect, { poolMax: 8 })
        for (let i = 0; i < instanceCount(strategy, dialect); i++) {
          // PostgreSQL: each extra instance opens its own pool. SQLite: instances share the one
          // handle (better-sqlite3 waits for a lock synchronously, so a second handle in the same
          // process would block the event loop that the first needs to commit).
          const handle =
            i === 0 || dialect === 'sqlite'
              ? fx.testDb
              : createDb({ url: fx.testDb.url, dataDir: fx.testDb.dataDir, poolMax: 8 })
          if (handle !== fx.testDb) handles.push(handle)
          instances.push(billingOn(handle.db, { clock: fx.clock, strategy }))
        }
      })
      afterAll(async () => {
        for (const billing of instances) await billing.stop()
        for (const handle of handles) await handle.close()
        await fx.destroy()
      })

      it('admits at most the requests the balance covers and never goes below zero', async () => {
        const organizationId = await fx.createOrganization()
        await instances[0]!.ledger.credit(BILLING_ACTOR, {
          organizationId,
          environment: 'live',
          amountMicros: BALANCE,
          category: 'paid',
          idempotencyKey: 'fund',
        })
        for (const billing of instances) await billing.start()

        const outcomes = await Promise.all(
          Array.from({ length: REQUESTS }, async (_, i) => {
            const billing = instances[i % instances.length]!
            const hold = await billing.holds.place({
              organizationId,
              environment: 'live',
              amountMicros: COST,
              requestId: `req_concurrent_${i}`,
            })
            if (!hold.ok) return 'refused' as const
            const entry = await billing.holds.settle({
              hold,
              outcome: 'completed',
              costMicros: COST,
            })
            expect(entry?.amountMicros).toBe(-COST)
            expect(entry!.balanceAfterMicros >= 0n).toBe(true)
            return 'served' as const
          }),
        )
        const served = BigInt(outcomes.filter((o) => o === 'served').length)
        const { accounts: after } = await instances[0]!.ledger.balance(organizationId)
        recordReliability({
          area: 'concurrency',
          check: `${REQUESTS} concurrent requests against a balance covering ${COVERED} (${dialect}, ${strategy} holds, ${instanceCount(strategy, dialect)} instance(s))`,
          cases: REQUESTS,
          // Overspend is the rule broken: admissions beyond what the balance covers.
          failures:
            Number(served > COVERED ? served - COVERED : 0n) +
            (after.some((a) => a.balanceMicros < 0n) ? 1 : 0),
          expectation: 'admitted ≤ covered, balance never below zero, no hold left',
          breakdown: { admitted: Number(served), refused: REQUESTS - Number(served) },
        })
        expect(served).toBeLessThanOrEqual(COVERED)
        // Every request that could be covered was: the refusals are only for lack of money.
        expect(served).toBe(COVERED)

        const { accounts } = await instances[0]!.ledger.balance(organizationId)
        const live = accounts.find((a) => a.environment === 'live')!
        expect(live.balanceMicros).toBe(BALANCE - served * COST)
        expect(live.balanceMicros >= 0n).toBe(true)
        expect(live.heldMicros).toBe(0n)
        const reconciled = await instances[0]!.ledger.reconcile(organizationId, 'live')
        expect(reconciled.sumOfEntriesMicros).toBe(reconciled.balanceMicros)
        expect(reconciled.versions).toBe(served + 1n)
        for (const billing of instances) expect(billing.holds.openHoldCount()).toBe(0)
      }, 120_000)
    })
  }
}
