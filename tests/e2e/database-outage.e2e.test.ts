import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFerry, type FerryProcess } from '../support/ferry-process.js'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js'
import { preparePricedCustomer } from '../support/priced-customer.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * Issue #10: PostgreSQL going away fails requests fast with a 503 `database_unavailable` in
 * OpenAI's shape (not a hang, not a 500), writes nothing half, and the gateway recovers by
 * itself when the database returns. The gateway reaches PostgreSQL through a proxy the test
 * cuts: refused connections first, then a black hole (connections accepted, never answered).
 */
const CONNECT_TIMEOUT_MS = 1_000

async function chat(url: string, secret: string) {
  const startedAt = performance.now()
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'Hi' }] }),
  })
  const body = (await response.json()) as Record<string, unknown>
  return { status: response.status, body, elapsedMs: performance.now() - startedAt }
}

describe.runIf(testDialects().includes('postgres'))('postgres: the database goes away', () => {
  let testDb: TestDb
  let proxy: TcpProxy
  let ferry: FerryProcess & { url: string }
  let secret: string
  let organizationId: string

  beforeAll(async () => {
    testDb = await createTestDb('postgres')
    ;({ secret, organizationId } = await preparePricedCustomer(testDb, { keyName: 'outage' }))
    const direct = new URL(testDb.url)
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    const proxied = new URL(testDb.url)
    proxied.host = `127.0.0.1:${proxy.port}`
    ferry = await startFerry([], {
      env: {
        FERRY_DATABASE_URL: proxied.toString(),
        FERRY_DATA_DIR: testDb.dataDir,
        FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
        FERRY_BILLING_HOLDS: 'database',
        FERRY_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      },
      timeoutMs: 60_000,
    })
  }, 90_000)

  afterAll(async () => {
    if (ferry?.child.exitCode === null) ferry.child.kill('SIGKILL')
    await proxy?.close()
    await testDb?.destroy()
  })

  const expectFastCleanUnavailable = (outcome: Awaited<ReturnType<typeof chat>>) => {
    expect(outcome.status).toBe(503)
    expect(outcome.body).toEqual({
      error: {
        message: expect.any(String) as string,
        type: 'server_error',
        param: null,
        code: 'database_unavailable',
      },
    })
    expect(outcome.elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS + 1_500)
  }

  const recoverWithin = async (ms: number) => {
    const deadline = Date.now() + ms
    for (;;) {
      const outcome = await chat(ferry.url, secret)
      if (outcome.status === 200 || Date.now() > deadline) return outcome
      expect(outcome.status).toBe(503) // never anything but a clean 503 meanwhile
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('answers 503 database_unavailable at once when connections are refused, then recovers', async () => {
    expect((await chat(ferry.url, secret)).status).toBe(200)
    await proxy.refuse()
    for (let i = 0; i < 5; i++) expectFastCleanUnavailable(await chat(ferry.url, secret))
    const ready = await fetch(`${ferry.url}/readyz`)
    expect(ready.status).toBe(503)
    await proxy.restore()
    expect((await recoverWithin(10_000)).status).toBe(200)
  })

  it('answers 503 within the connect timeout when the database hangs, then recovers', async () => {
    proxy.blackhole()
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => chat(ferry.url, secret)))
    for (const outcome of outcomes) expectFastCleanUnavailable(outcome)
    await proxy.restore()
    expect((await recoverWithin(10_000)).status).toBe(200)
  })

  it('wrote nothing half: every charge has its usage event, no hold is left, the ledger balances', async () => {
    const account = await testDb.db
      .selectFrom('ledger_accounts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
    const entries = await testDb.db
      .selectFrom('ledger_entries')
      .select(['kind', 'amount_micros', 'request_id'])
      .where('account_id', '=', account.account_id)
      .execute()
    const usage = await testDb.db
      .selectFrom('usage_events')
      .select(['request_id', 'cost_micros'])
      .where('organization_id', '=', organizationId)
      .execute()
    const charged = entries.filter((e) => e.kind === 'usage_charge')
    const usageIds = new Set(usage.map((u) => u.request_id))
    expect(charged.filter((c) => !usageIds.has(c.request_id!))).toEqual([])
    expect(entries.reduce((s, e) => s + e.amount_micros, 0n)).toBe(account.balance_micros)
    expect(account.held_micros).toBe(0n)
    const openHolds = await testDb.db
      .selectFrom('ledger_holds')
      .select('hold_id')
      .where('status', '=', 'open')
      .execute()
    expect(openHolds).toEqual([])
  })
})
