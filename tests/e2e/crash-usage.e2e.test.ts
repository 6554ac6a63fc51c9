import { afterAll, describe, expect, it } from 'vitest'
import { startFerry, type FerryProcess } from '../support/ferry-process.js'
import { preparePricedCustomer } from '../support/priced-customer.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * Issue #8: a crash after a response must not lose its usage. Load runs against a real
 * `ferry start` process, which is killed with SIGKILL mid-load; every request that received a
 * complete response (a whole JSON body, or a stream through `[DONE]`) has its usage event and
 * its charge, and after a restart the ledger still balances.
 */

/** One completed request: its ID, as the client saw it. */
async function callOnce(url: string, secret: string, stream: boolean): Promise<string | null> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: stream ? 'mock?completionTokens=8&chunkDelayMs=2' : 'mock',
      messages: [{ role: 'user', content: 'Hello there.' }],
      max_tokens: 16,
      stream,
    }),
  })
  const body = await response.text()
  if (response.status !== 200) return null
  const complete = stream
    ? body.trimEnd().endsWith('data: [DONE]')
    : (JSON.parse(body) as { object?: string }).object === 'chat.completion'
  return complete ? response.headers.get('x-request-id') : null
}

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

      const completed: string[] = []
      let stop = false
      const worker = async (n: number) => {
        for (let i = 0; !stop && i < 2_000; i++) {
          const id = await callOnce(ferry.url, secret, (n + i) % 3 === 0).catch(() => null)
          if (id !== null && !stop) completed.push(id)
        }
      }
      const workers = Array.from({ length: 16 }, (_, n) => worker(n))
      // Kill once real load is flowing (and no later than a few seconds in).
      const deadline = Date.now() + 8_000
      while (completed.length < 150 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20))
      ferry.child.kill('SIGKILL')
      await ferry.exited
      stop = true
      await Promise.all(workers)
      expect(completed.length).toBeGreaterThan(50)

      const recorded = new Set(
        (
          await testDb.db
            .selectFrom('usage_events')
            .select('request_id')
            .where('organization_id', '=', organizationId)
            .execute()
        ).map((r) => r.request_id),
      )
      const charged = new Set(
        (
          await testDb.db
            .selectFrom('ledger_entries')
            .select('request_id')
            .where('kind', '=', 'usage_charge')
            .execute()
        ).map((r) => r.request_id),
      )
      const lost = completed.filter((id) => !recorded.has(id))
      expect(lost).toEqual([])
      expect(completed.filter((id) => !charged.has(id))).toEqual([])
      // Nothing half-written: each usage event of a settled request has its charge and back.
      for (const id of charged) expect(recorded.has(id!)).toBe(true)

      // A restart releases what the dead process held; the ledger balances to the micro.
      const again = await startFerry([], { env, timeoutMs: 60_000 })
      running.push(again)
      expect((await fetch(`${again.url}/readyz`)).status).toBe(200)
      again.child.kill('SIGTERM')
      await again.exited
      const account = await testDb.db
        .selectFrom('ledger_accounts')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .executeTakeFirstOrThrow()
      const sum = await testDb.db
        .selectFrom('ledger_entries')
        .select('amount_micros')
        .where('account_id', '=', account.account_id)
        .execute()
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
    })
  })
}
