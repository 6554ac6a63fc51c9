import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EMPTY_BUDGET_POLICY, type BudgetPolicyContent } from '../../src/budgets/index.js'
import { PriceRowsSchema } from '../../src/pricing/index.js'
import { SETUP_AUDIT } from '../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../support/billing-fixtures.js'
import { runFerry, startFerry, type FerryProcess } from '../support/ferry-process.js'
import {
  chatOnce as chat,
  killUnderLoad,
  ledgerOf,
  lostUsage,
  type ChatOutcome as Outcome,
} from '../support/kill-under-load.js'
import { TEST_REDIS_URL } from '../support/services.js'
import { buildTestApp, TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * Issue #10: three `ferry start` processes on one PostgreSQL schema and one Redis behave as one
 * gateway. Concurrent traffic through all of them never spends more than the balance, nor past
 * a hard monthly cap or a blocking monthly token limit; concurrent admin writes leave one
 * gapless audit chain that verifies; a key revoked on one is refused by another within a
 * second; each background job runs once, not once per process; and a process killed with
 * SIGKILL mid-load has its holds released by the survivors' reaper without losing the usage of
 * any completed response.
 */
const PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])
const SMALL_FUNDS = 3_000n // covers a few dozen requests' holds, not the load below
const LARGE_FUNDS = 1_000_000_000n
const HOLD_TTL_MS = 2_000
const REAPER_INTERVAL_MS = 300
const CHECKPOINT_INTERVAL_MS = 1_000

/** Requests the monthly-limited organizations' caps cover, at most. */
const MONTHLY_COVERED = 4
const CHAT_MAX_TOKENS = 16

interface Prepared {
  capped: { organizationId: string; secret: string }
  funded: { organizationId: string; secret: string }
  /** A hard monthly cap, and a blocking monthly token limit, that cover MONTHLY_COVERED requests. */
  hardCapped: { organizationId: string; secret: string; hardCapMicros: bigint }
  tokenLimited: { organizationId: string; secret: string; monthlyTokenLimit: bigint }
  adminToken: string
}

async function prepare(testDb: TestDb): Promise<Prepared> {
  const built = buildTestApp({ db: testDb.db, masterKey: TEST_MASTER_KEY })
  const admin = built.services.admin
  await admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
  const fund = async (name: string, amountMicros: bigint) => {
    const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name })
    const { secret } = await admin.keys.create(SETUP_AUDIT, {
      organizationId,
      name: 'load',
      environment: 'live',
    })
    await admin.billing.credit(SETUP_BILLING_ACTOR, {
      organizationId,
      environment: 'live',
      amountMicros,
      category: 'paid',
      idempotencyKey: idempotencyKey(name),
    })
    return { organizationId, secret }
  }
  const capped = await fund('Capped', SMALL_FUNDS)
  const funded = await fund('Funded', LARGE_FUNDS)
  // What one request (the `chat` below, all of its max_tokens used) reserves and then uses.
  await built.services.priceBook.reload()
  await built.app.ready()
  const probe = await fund('Probe', LARGE_FUNDS)
  const probed = await built.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${probe.secret}` },
    payload: chatBody({ model: FULL_MODEL, stream: false }),
  })
  const usage = probed.json<{ usage: { prompt_tokens: number; completion_tokens: number } }>().usage
  const holdMicros = BigInt(
    built.logs.records().findLast((r) => r.requestId === probed.headers['x-request-id'])
      ?.heldMicros as string,
  )
  const costMicros = BigInt(usage.prompt_tokens) + 2n * BigInt(usage.completion_tokens)
  const tokens = BigInt(usage.prompt_tokens + usage.completion_tokens)
  const reservedTokens = holdMicros - 2n * BigInt(CHAT_MAX_TOKENS) + BigInt(CHAT_MAX_TOKENS)
  // n − 1 requests used, plus the last one's whole reservation.
  const covering = (used: bigint, reserved: bigint) => BigInt(MONTHLY_COVERED - 1) * used + reserved
  const limited = async (name: string, content: Partial<BudgetPolicyContent>) => {
    const customer = await fund(name, LARGE_FUNDS)
    await admin.budgetPolicies.publish(SETUP_AUDIT, {
      organizationId: customer.organizationId,
      keyId: null,
      content: { ...EMPTY_BUDGET_POLICY, ...content },
    })
    return customer
  }
  const hardCapMicros = covering(costMicros, holdMicros)
  const hardCapped = {
    ...(await limited('Hard capped', { hardCapMicros, overage: 'allow' })),
    hardCapMicros,
  }
  const monthlyTokenLimit = covering(tokens, reservedTokens)
  const tokenLimited = {
    ...(await limited('Token limited', { monthlyTokenLimit, overage: 'block' })),
    monthlyTokenLimit,
  }
  const owner = await admin.users.createAdmin(
    { audit: SETUP_AUDIT },
    { email: 'owner@example.com', role: 'owner', password: 'correct horse battery staple' },
  )
  const { token } = await admin.tokens.createToken(SETUP_AUDIT, {
    adminId: owner.adminId,
    name: 'scale-out test',
  })
  await built.app.close()
  return { capped, funded, hardCapped, tokenLimited, adminToken: token }
}

/** Uses all of its max_tokens: a request then costs what it reserved, or a little less. */
const FULL_MODEL = `mock?completionTokens=${CHAT_MAX_TOKENS}`

function chatBody(request: { model: string; stream: boolean }) {
  return {
    model: request.model,
    messages: [{ role: 'user', content: 'Hello there.' }],
    max_tokens: CHAT_MAX_TOKENS,
    stream: request.stream,
  }
}

async function settledWithin<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms: number) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 50))
  }
}

const canRun = testDialects().includes('postgres') && inject('redisAvailable')

describe.runIf(canRun)('postgres + Redis: three ferry processes act as one gateway', () => {
  let testDb: TestDb
  let prepared: Prepared
  let env: NodeJS.ProcessEnv
  let a: FerryProcess & { url: string }
  let b: FerryProcess & { url: string }
  let c: FerryProcess & { url: string }
  const urls = () => [a.url, b.url, c.url]
  let startedAtMs: number
  const running: FerryProcess[] = []

  beforeAll(async () => {
    testDb = await createTestDb('postgres')
    prepared = await prepare(testDb)
    const configFile = join(testDb.dataDir, 'ferry.config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        billing: {
          holds: 'database',
          holdTtlMs: HOLD_TTL_MS,
          holdReaperIntervalMs: REAPER_INTERVAL_MS,
        },
      }),
    )
    env = {
      FERRY_CONFIG: configFile,
      FERRY_DATABASE_URL: testDb.url,
      FERRY_DATA_DIR: testDb.dataDir,
      FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
      FERRY_REDIS_URL: TEST_REDIS_URL,
      FERRY_AUDIT_CHECKPOINT_INTERVAL_MS: String(CHECKPOINT_INTERVAL_MS),
      FERRY_LOG_LEVEL: 'warn',
    }
    startedAtMs = Date.now()
    ;[a, b, c] = await Promise.all([
      startFerry([], { env: { ...env, FERRY_LOG_LEVEL: 'info' }, timeoutMs: 90_000 }),
      startFerry([], { env: { ...env, FERRY_LOG_LEVEL: 'info' }, timeoutMs: 90_000 }),
      startFerry([], { env: { ...env, FERRY_LOG_LEVEL: 'info' }, timeoutMs: 90_000 }),
    ])
    running.push(a, b, c)
  }, 120_000)

  afterAll(async () => {
    for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
    await Promise.all(running.map((p) => p.exited))
    await testDb?.destroy()
  })

  it('never admits more than the balance covers, across the three processes', async () => {
    const { organizationId, secret } = prepared.capped
    const outcomes: Outcome[] = []
    const worker = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const url = urls()[(n + i) % 3]!
        const outcome = await chat(url, secret, { model: 'mock', stream: (n + i) % 3 === 0 })
        outcomes.push(outcome)
        if (outcome.code === 'insufficient_quota' && i > 10) return
      }
    }
    await Promise.all(Array.from({ length: 12 }, (_, n) => worker(n)))
    const admitted = outcomes.filter((o) => o.status === 200)
    const refused = outcomes.filter((o) => o.code === 'insufficient_quota')
    expect(admitted.length).toBeGreaterThan(5)
    expect(refused.length).toBeGreaterThan(0) // the cap was reached
    expect(outcomes.filter((o) => o.status !== 200 && o.code !== 'insufficient_quota')).toEqual([])

    const { account, entries, openHolds } = await ledgerOf(testDb.db, organizationId)
    const charges = entries.filter((e) => e.kind === 'usage_charge')
    expect(account.balance_micros).toBeGreaterThanOrEqual(0n)
    expect(account.held_micros).toBe(0n)
    expect(openHolds).toEqual([])
    expect(entries.reduce((s, e) => s + e.amount_micros, 0n)).toBe(account.balance_micros)
    expect(entries.reduce((s, e) => s + (e.uncovered_micros ?? 0n), 0n)).toBe(0n)
    const spent = -charges.reduce((s, e) => s + e.amount_micros, 0n)
    expect(spent).toBeLessThanOrEqual(SMALL_FUNDS)
    // Every admitted request was charged once, no more: admitted ≤ what the balance covers.
    expect(charges.length).toBe(admitted.length)
    expect(new Set(charges.map((c) => c.request_id)).size).toBe(charges.length)
  })

  /** `count` requests at once, spread over the three processes. */
  async function burst(secret: string, count: number): Promise<Outcome[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        chat(urls()[i % 3]!, secret, { model: FULL_MODEL, stream: i % 4 === 0 }),
      ),
    )
  }
  const usageOf = async (organizationId: string) => {
    const rows = await testDb.db
      .selectFrom('usage_events')
      .select(['cost_micros', 'prompt_tokens', 'completion_tokens'])
      .where('organization_id', '=', organizationId)
      .execute()
    return {
      served: rows.filter((r) => r.completion_tokens > 0).length,
      spendMicros: rows.reduce((s, r) => s + r.cost_micros, 0n),
      tokens: rows.reduce((s, r) => s + BigInt(r.prompt_tokens + r.completion_tokens), 0n),
    }
  }
  const reservedOn = async (scope: string) =>
    testDb.db
      .selectFrom('budget_month_totals')
      .select(['reserved_spend_micros', 'reserved_tokens'])
      .where('scope', '=', scope)
      .executeTakeFirstOrThrow()

  it('never admits past a hard monthly cap, across the three processes', async () => {
    const { organizationId, secret, hardCapMicros } = prepared.hardCapped
    const outcomes = [...(await burst(secret, 18)), ...(await burst(secret, 6))]
    const admitted = outcomes.filter((o) => o.status === 200)
    expect(outcomes.filter((o) => o.status !== 200 && o.code !== 'insufficient_quota')).toEqual([])
    expect(admitted.length).toBeGreaterThan(0)
    expect(admitted.length).toBeLessThanOrEqual(MONTHLY_COVERED)
    const used = await usageOf(organizationId)
    expect(used.served).toBe(admitted.length)
    expect(used.spendMicros).toBeLessThanOrEqual(hardCapMicros)
    expect(await reservedOn(`org:${organizationId}`)).toEqual({
      reserved_spend_micros: 0n,
      reserved_tokens: 0n,
    })
  })

  it('never admits past a blocking monthly token limit, across the three processes', async () => {
    const { organizationId, secret, monthlyTokenLimit } = prepared.tokenLimited
    const outcomes = [...(await burst(secret, 18)), ...(await burst(secret, 6))]
    const admitted = outcomes.filter((o) => o.status === 200)
    expect(outcomes.filter((o) => o.status !== 200 && o.code !== 'insufficient_quota')).toEqual([])
    expect(admitted.length).toBeGreaterThan(0)
    expect(admitted.length).toBeLessThanOrEqual(MONTHLY_COVERED)
    const used = await usageOf(organizationId)
    expect(used.served).toBe(admitted.length)
    expect(used.tokens).toBeLessThanOrEqual(monthlyTokenLimit)
  })

  it('keeps one gapless audit chain that verifies after concurrent admin writes through all', async () => {
    const { organizationId } = prepared.funded
    const createKey = async (url: string, n: number) => {
      const response = await fetch(`${url}/admin/v1/orgs/${organizationId}/keys`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${prepared.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: `concurrent ${n}`, environment: 'live' }),
      })
      return response.status
    }
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, n) => createKey(urls()[n % 3]!, n)),
    )
    expect(statuses.every((s) => s === 201)).toBe(true)

    const chains = await testDb.db
      .selectFrom('audit_events')
      .select(['chain_id', 'sequence'])
      .orderBy('chain_id')
      .orderBy('sequence')
      .execute()
    const byChain = new Map<string, bigint[]>()
    for (const row of chains)
      byChain.set(row.chain_id, [...(byChain.get(row.chain_id) ?? []), row.sequence])
    for (const [, sequences] of byChain)
      expect(sequences).toEqual(sequences.map((_, i) => BigInt(i + 1)))
    const verify = runFerry(['audit', 'verify', '--database'], { env })
    const { code } = await verify.exited
    expect(code, verify.stdout.join('') + verify.stderr.join('')).toBe(0)
  })

  it('refuses a key revoked on one process on the other within a second', async () => {
    const { organizationId } = prepared.funded
    const admin = {
      authorization: `Bearer ${prepared.adminToken}`,
      'content-type': 'application/json',
    }
    const created = (await (
      await fetch(`${a.url}/admin/v1/orgs/${organizationId}/keys`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: 'to revoke', environment: 'live' }),
      })
    ).json()) as { keyId: string; secret: string }
    // B has the key in its cache.
    expect((await chat(b.url, created.secret, { model: 'mock', stream: false })).status).toBe(200)
    const revoked = await fetch(`${a.url}/admin/v1/keys/${created.keyId}/revoke`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ reason: { code: 'key_leaked' } }),
    })
    expect(revoked.status).toBe(200)
    const revokedAt = Date.now()
    const seen = await settledWithin(
      () => chat(b.url, created.secret, { model: 'mock', stream: false }),
      (o) => o.status === 401,
      2_000,
    )
    expect(seen.status).toBe(401)
    // C never saw the key before; it too refuses it within the second.
    expect((await chat(c.url, created.secret, { model: 'mock', stream: false })).status).toBe(401)
    expect(Date.now() - revokedAt).toBeLessThan(1_000)
  })

  it('refuses the keys of an organization suspended on one process on the other within a second', async () => {
    const { organizationId, secret } = prepared.capped
    // A knows the key (its balance is spent: 429, but authenticated).
    expect((await chat(a.url, secret, { model: 'mock', stream: false })).status).toBe(429)
    const suspended = await fetch(`${b.url}/admin/v1/orgs/${organizationId}/suspend`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${prepared.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ reason: { code: 'unpaid_invoice' } }),
    })
    expect(suspended.status).toBe(200)
    const suspendedAt = Date.now()
    const seen = await settledWithin(
      () => chat(a.url, secret, { model: 'mock', stream: false }),
      (o) => o.status === 401,
      2_000,
    )
    expect(seen.status).toBe(401)
    expect(Date.now() - suspendedAt).toBeLessThan(1_000)
  })

  it('runs each background job once per interval across the three processes', async () => {
    const elapsedMs = Date.now() - startedAtMs
    const rows = await testDb.db.selectFrom('job_leases').selectAll().execute()
    const runsOf = (name: string) => Number(rows.find((r) => r.job_name === name)?.run_count ?? 0)
    // Once per process would be about three times these.
    expect(runsOf('billing.sweep')).toBeGreaterThan(0)
    expect(runsOf('billing.sweep')).toBeLessThanOrEqual(elapsedMs / REAPER_INTERVAL_MS + 2)
    expect(runsOf('audit.checkpoints')).toBeLessThanOrEqual(elapsedMs / CHECKPOINT_INTERVAL_MS + 1)
    expect(runsOf('request_logs.purge')).toBe(1) // due at start, then hourly
  })

  it('releases a SIGKILLed process’s holds by the survivors’ reaper and loses no completed usage', async () => {
    const { organizationId, secret } = prepared.funded
    const { completed } = await killUnderLoad({
      workers: 12,
      maxCallsPerWorker: 500,
      call: (n, i) => {
        const url = urls()[n % 3]!
        const stream = i % 2 === 0
        const model = stream ? 'mock?completionTokens=8&chunkDelayMs=40' : 'mock'
        return chat(url, secret, { model, stream })
      },
      killWhen: (done) => done.length >= 60,
      deadlineMs: 10_000,
      // Requests in flight on B when it died leave stored holds open, until the reaper on A or C.
      kill: () => {
        b.child.kill('SIGKILL')
        return b.exited
      },
    })
    expect(completed.length).toBeGreaterThan(30)

    const after = await settledWithin(
      () => ledgerOf(testDb.db, organizationId),
      (l) => l.openHolds.length === 0 && l.account.held_micros === 0n,
      HOLD_TTL_MS + 5_000,
    )
    expect(after.openHolds).toEqual([])
    expect(after.account.held_micros).toBe(0n)
    const reaped = await testDb.db
      .selectFrom('ledger_holds')
      .select('hold_id')
      .where('status', '=', 'expired')
      .execute()
    expect(reaped.length).toBeGreaterThan(0) // B's in-flight holds, released by A or C

    const lost = await lostUsage(testDb.db, organizationId, completed)
    expect(lost.unrecorded).toEqual([])
    expect(lost.uncharged).toEqual([])
    expect(after.entries.reduce((s, e) => s + e.amount_micros, 0n)).toBe(
      after.account.balance_micros,
    )
  })
})
