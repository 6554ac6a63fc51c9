/**
 * Scale-out benchmark of the ledger (issue #10): `database`-strategy holds placed and settled by
 * one "process" (one billing instance on its own connection pool) versus two, on a hot
 * organization (every request on one account row) versus 1,000 organizations. Prints throughput,
 * p50/p99 hold latency and deadlocks (must be zero: a batch locks its account rows in id order).
 *
 *   npm run bench:scale    (FERRY_BENCH_POSTGRES_URL, DURATION_MS=3000, CONCURRENCY=32, ORGS=1000)
 *
 * A benchmark, not a test: it prints numbers and fails no build (except on a deadlock or a
 * ledger that does not balance). It works in a throwaway schema it drops at the end.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { AuditContext } from '../src/audit/audit-event.js'
import { createAuditLog } from '../src/audit/index.js'
import { createBilling, type Billing } from '../src/billing/index.js'
import { createLocalInvalidation } from '../src/invalidation/index.js'
import { systemClock } from '../src/lib/clock.js'
import { createOrganizationsService } from '../src/organizations/index.js'
import { createDb, migrateToLatest, type DatabaseHandle } from '../src/storage/index.js'

const URL_ = process.env.FERRY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DURATION_MS = Number(process.env.DURATION_MS ?? 3_000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32)
const ORGS = Number(process.env.ORGS ?? 1_000)
const HOLD_MICROS = 100n
const COST_MICROS = 60n

const AUDIT: AuditContext = {
  actor: { type: 'system', id: 'system:bench', role: null },
  ip: null,
  userAgent: null,
  requestId: 'req_bench',
  reason: { code: 'bench' },
}

interface Result {
  ops: number
  latenciesMs: number[]
  deadlocks: number
  otherErrors: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function run(options: {
  billings: Billing[]
  orgIds: string[]
  label: string
}): Promise<Result> {
  const result: Result = { ops: 0, latenciesMs: [], deadlocks: 0, otherErrors: 0 }
  const deadline = Date.now() + DURATION_MS
  let n = 0
  const worker = async (w: number) => {
    const billing = options.billings[w % options.billings.length]!
    while (Date.now() < deadline) {
      const organizationId = options.orgIds[(n += 1) % options.orgIds.length]!
      try {
        const started = performance.now()
        const hold = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: HOLD_MICROS,
          requestId: `req_bench_${w}_${n}`,
        })
        result.latenciesMs.push(performance.now() - started)
        if (!hold.ok) throw new Error('insufficient funds: fund the bench accounts more')
        await billing.holds.settle({ hold, outcome: 'completed', costMicros: COST_MICROS })
        result.ops += 1
      } catch (err) {
        if ((err as { code?: unknown }).code === '40P01') result.deadlocks += 1
        else result.otherErrors += 1
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)))
  const sorted = [...result.latenciesMs].sort((a, b) => a - b)
  process.stdout.write(
    `${options.label.padEnd(36)} ${String(Math.round((result.ops * 1000) / DURATION_MS)).padStart(7)} req/s` +
      `   hold p50 ${percentile(sorted, 50).toFixed(2)} ms   p99 ${percentile(sorted, 99).toFixed(2)} ms` +
      `   deadlocks ${result.deadlocks}   errors ${result.otherErrors}\n`,
  )
  return result
}

async function main() {
  const schema = `ferry_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: URL_ })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const handles: DatabaseHandle[] = []
  const open = () => {
    const handle = createDb({ url: URL_, dataDir: '.', searchPath: schema, poolMax: 10 })
    handles.push(handle)
    return handle
  }
  try {
    const setup = open()
    await migrateToLatest(setup.db)
    const auditLog = createAuditLog({ db: setup.db, clock: systemClock })
    const organizations = createOrganizationsService({
      db: setup.db,
      auditLog,
      clock: systemClock,
      invalidation: createLocalInvalidation(),
    })
    const billingOf = (handle: DatabaseHandle) =>
      createBilling({
        db: handle.db,
        auditLog: createAuditLog({ db: handle.db, clock: systemClock }),
        clock: systemClock,
        settings: { holds: 'database', approvalThresholdMicros: 10n ** 15n },
        periodicSweep: false,
      })
    const seeding = billingOf(setup)
    const orgIds: string[] = []
    for (let i = 0; i <= ORGS; i++) {
      const { organizationId } = await organizations.create(AUDIT, { name: `Bench ${i}` })
      await seeding.ledger.credit(
        { audit: AUDIT, adminId: 'system:bench' },
        {
          organizationId,
          environment: 'live',
          amountMicros: 10n ** 12n,
          category: 'paid',
          idempotencyKey: `bench-${i}`,
        },
      )
      orgIds.push(organizationId)
    }
    const [hot, ...many] = orgIds as [string, ...string[]]
    process.stdout.write(
      `ledger contention, database holds, ${CONCURRENCY} concurrent requests, ${DURATION_MS} ms each\n`,
    )
    const results: Result[] = []
    for (const processes of [1, 2]) {
      const billings = Array.from({ length: processes }, () => billingOf(open()))
      results.push(
        await run({ billings, orgIds: [hot], label: `${processes} process(es), 1 hot org` }),
        await run({ billings, orgIds: many, label: `${processes} process(es), ${ORGS} orgs` }),
      )
      for (const billing of billings) await billing.stop()
    }
    // The ledger balances: every account's balance is the sum of its entries, nothing held.
    const unbalanced = await setup.db
      .selectFrom('ledger_accounts as a')
      .select(['a.account_id', 'a.balance_micros', 'a.held_micros'])
      .where((eb) =>
        eb.or([
          eb('a.held_micros', '!=', 0n),
          eb(
            'a.balance_micros',
            '!=',
            eb
              .selectFrom('ledger_entries as e')
              .select((s) => s.fn.sum<bigint>('e.amount_micros').as('sum'))
              .whereRef('e.account_id', '=', 'a.account_id'),
          ),
        ]),
      )
      .execute()
    process.stdout.write(`accounts out of balance: ${unbalanced.length}\n`)
    if (results.some((r) => r.deadlocks > 0) || unbalanced.length > 0) process.exitCode = 1
  } finally {
    for (const handle of handles) await handle.close()
    await admin.query(`drop schema ${schema} cascade`)
    await admin.end()
  }
}

await main()
