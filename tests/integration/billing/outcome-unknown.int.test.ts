import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBalanceBook } from '../../../src/billing/balance-book.js'
import { createBalanceHolds, type Hold } from '../../../src/billing/balance-holds.js'
import { CommitOutcomeUnknownError, createGroupCommit } from '../../../src/billing/group-commit.js'
import { findAccountRow } from '../../../src/billing/ledger.repository.js'
import { commitRecords, type RequestRecord } from '../../../src/billing/settlement-writer.js'
import type { LedgerEntry } from '../../../src/billing/index.js'
import {
  billingOn,
  createBillingFixture,
  fundLive,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { testDialects } from '../../support/test-db.js'

/**
 * Memory holds decide a settlement's charge in the balance book before its batch commits, and
 * give it back if the batch fails. When the batch's outcome is unknown (the settlement thread was
 * lost after it was handed the batch, or the WAL flush failed after COMMIT), giving it back would
 * leave the book above the database if the batch did commit, and later holds could spend money
 * that is gone. The book keeps the charge instead: never above the database.
 */
for (const dialect of testDialects()) {
  describe(`${dialect}: a settlement whose commit outcome is unknown`, () => {
    let fx: BillingFixture
    beforeAll(async () => {
      fx = await createBillingFixture(dialect)
    })
    afterAll(async () => {
      await fx.destroy()
    })

    /**
     * An organization funded with 1,000 micros, and memory holds over it whose writer commits
     * each batch for real and then fails it as `failure` says.
     */
    async function holdsOver(failure: 'after commit' | 'before commit' | 'plain error') {
      const organizationId = await fx.createOrganization()
      const funding = billingOn(fx.db, { clock: fx.clock, strategy: 'memory' })
      await fundLive(funding, organizationId, 1_000n)
      await funding.stop()
      const account = (await findAccountRow(fx.db, { organizationId, environment: 'live' }))!
      const book = createBalanceBook()
      book.load({
        accountId: account.account_id,
        organizationId,
        environment: 'live',
        balanceMicros: account.balance_micros,
        version: account.version,
      })
      const writer = createGroupCommit<RequestRecord, LedgerEntry | null>({
        maxDelayMs: 0,
        commit: async (records) => {
          if (failure === 'after commit') {
            const batch = await commitRecords({ db: fx.db, clock: fx.clock }, records)
            await batch.durable
            throw new CommitOutcomeUnknownError(new Error('settlement thread exited (code 1)'))
          }
          if (failure === 'before commit')
            throw new CommitOutcomeUnknownError(new Error('settlement thread exited (code 1)'))
          throw new Error('SQLITE_BUSY: database is locked')
        },
      })
      const holds = createBalanceHolds({
        db: fx.db,
        clock: fx.clock,
        strategy: 'memory',
        book,
        writer,
        holdTtlMs: 60_000,
        ready: () => Promise.resolve(),
      })
      const hold = (await holds.place({
        organizationId,
        environment: 'live',
        amountMicros: 400n,
        requestId: `req_${failure.replaceAll(' ', '_')}`,
      })) as Hold
      expect(hold.ok).toBe(true)
      const settled = holds.settle({ hold, outcome: 'completed', costMicros: 300n })
      const storedBalance = async () =>
        (await findAccountRow(fx.db, { organizationId, environment: 'live' }))!.balance_micros
      return { holds, organizationId, settled, storedBalance }
    }

    it('keeps the charge in the book when the batch did commit: the book equals the database', async () => {
      const { holds, organizationId, settled, storedBalance } = await holdsOver('after commit')
      await expect(settled).rejects.toBeInstanceOf(CommitOutcomeUnknownError)
      expect(await storedBalance()).toBe(700n)
      expect(await holds.available(organizationId, 'live')).toBe(700n)
      // What the book admits is what the database holds: 700 fits, 701 does not.
      const over = await holds.place({
        organizationId,
        environment: 'live',
        amountMicros: 701n,
        requestId: 'req_over',
      })
      expect(over.ok).toBe(false)
    })

    it('keeps the charge in the book when the batch did not commit: the book stays below the database', async () => {
      const { holds, organizationId, settled, storedBalance } = await holdsOver('before commit')
      await expect(settled).rejects.toBeInstanceOf(CommitOutcomeUnknownError)
      expect(await storedBalance()).toBe(1_000n)
      expect(await holds.available(organizationId, 'live')).toBe(700n)
    })

    it('gives the charge back when the batch is known not to have committed', async () => {
      const { holds, organizationId, settled, storedBalance } = await holdsOver('plain error')
      await expect(settled).rejects.toThrow('SQLITE_BUSY')
      expect(await storedBalance()).toBe(1_000n)
      expect(await holds.available(organizationId, 'live')).toBe(1_000n)
    })
  })
}
