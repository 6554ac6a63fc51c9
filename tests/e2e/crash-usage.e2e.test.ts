import { afterAll, describe, expect, it } from 'vitest'
import { startFerry, type FerryProcess } from '../support/ferry-process.js'
import { chatOnce, killUnderLoad, ledgerOf, lostUsage } from '../support/kill-under-load.js'
import { preparePricedCustomer } from '../support/priced-customer.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * Issue #8: a crash after a response must not lose its usage. Load runs against a real
 * `ferry start` process, which is killed with SIGKILL mid-load; every request that received a
 * complete response (a whole JSON body, or a stream through `[DONE]`) has its usage event and
 * its charge, and after a restart the ledger still balances.
 */

for (const dialect of testDialects()) {
  describe(`${dialect}: kill -9 under load loses no usage of a completed response`, () => {
    let testDb: TestDb
    const running: FerryProcess[] = []
    afterAll(async () => {
      for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
      await testDb.destroy()
    })

    it('keeps every acknowledged request’s usage event and charge, and the ledger balances', async () => {
      testDb = await createTestDb(dialect)
      const { organizationId, secret, fundsMicros } = await preparePricedCustomer(testDb, {
        keyName: 'load',
      })
      const env = {
        FERRY_DATABASE_URL: testDb.url,
        FERRY_DATA_DIR: testDb.dataDir,
        FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
      }
      const ferry = await startFerry([], { env, timeoutMs: 60_000 })
      running.push(ferry)

      const { completed } = await killUnderLoad({
        workers: 16,
        call: (n, i) => {
          const stream = (n + i) % 3 === 0
          const model = stream ? 'mock?completionTokens=8&chunkDelayMs=2' : 'mock'
          return chatOnce(ferry.url, secret, { model, stream })
        },
        // Kill once real load is flowing (and no later than a few seconds in).
        killWhen: (done) => done.length >= 150,
        deadlineMs: 8_000,
        kill: () => {
          ferry.child.kill('SIGKILL')
          return ferry.exited
        },
      })
      expect(completed.length).toBeGreaterThan(50)

      const lost = await lostUsage(testDb.db, organizationId, completed)
      expect(lost.unrecorded).toEqual([])
      expect(lost.uncharged).toEqual([])
      // Nothing half-written: each usage event of a settled request has its charge and back.
      expect(lost.halfWritten).toEqual([])

      // A restart releases what the dead process held; the ledger balances to the micro.
      const again = await startFerry([], { env, timeoutMs: 60_000 })
      running.push(again)
      expect((await fetch(`${again.url}/readyz`)).status).toBe(200)
      again.child.kill('SIGTERM')
      await again.exited
      const { account, entries: sum } = await ledgerOf(testDb.db, organizationId)
      expect(sum.reduce((s, e) => s + e.amount_micros, 0n)).toBe(account.balance_micros)
      expect(account.held_micros).toBe(0n)
      const spent = await testDb.db
        .selectFrom('usage_events')
        .select('cost_micros')
        .where('organization_id', '=', organizationId)
        .execute()
      expect(fundsMicros - spent.reduce((s, e) => s + e.cost_micros, 0n)).toBe(
        account.balance_micros,
      )
    }, 120_000) // two process starts (each allowed 60 s) on a busy machine
  })
}
