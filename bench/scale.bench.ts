/**
 * Scale-out benchmark (issue #10): real `ferry start` processes (`billing.holds: database`) on
 * one PostgreSQL schema, driven over HTTP against the fast upstream of bench-upstream.ts. One
 * process versus two, on a hot organization (every request on one account row) versus 1,000
 * organizations. Prints throughput, client latency p50/p99, hold latency p50/p99 (the `holdMs`
 * of each request's access line: the hold's transaction, with its monthly cap reservation when
 * the organization has one), deadlocks and errors. Every organization has a hard monthly cap
 * far above what the run spends, so each hold also reserves on the shared month totals.
 *
 *   npm run bench:scale    (FERRY_BENCH_POSTGRES_URL, DURATION_MS=5000, CONCURRENCY=32, ORGS=1000)
 *
 * A benchmark, not a test: it prints numbers and fails no build (except on a deadlock or a
 * ledger that does not balance). It works in a throwaway schema it drops at the end. The load
 * generator, the upstream and the gateways share this machine's cores.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { AuditContext } from '../src/audit/audit-event.js'
import { EMPTY_BUDGET_POLICY } from '../src/budgets/index.js'
import { createServices } from '../src/create-services.js'
import { createLocalInvalidation } from '../src/invalidation/index.js'
import { systemClock } from '../src/lib/clock.js'
import { PriceRowsSchema } from '../src/pricing/index.js'
import { createDb, migrateToLatest } from '../src/storage/index.js'
import { startBenchUpstream } from './bench-upstream.js'

const URL_ = process.env.FERRY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DURATION_MS = Number(process.env.DURATION_MS ?? 5_000)
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 1_000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32)
const ORGS = Number(process.env.ORGS ?? 1_000)
const MASTER_KEY = randomBytes(32)
const CLI = fileURLToPath(new URL('../src/cli/ferry.ts', import.meta.url))

const AUDIT: AuditContext = {
  actor: { type: 'cli', id: 'cli:bench', role: null },
  ip: null,
  userAgent: null,
  requestId: null,
  reason: { code: 'benchmark_setup' },
}
const chatBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 32,
})

interface Gateway {
  child: ChildProcess
  url: string
  /** `holdMs` of the access lines since the last reset. */
  holdsMs: number[]
  deadlockLines: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/** Start one `ferry start` and collect the `holdMs` of its access lines. */
function startGateway(env: NodeJS.ProcessEnv): Promise<Gateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const gateway: Gateway = { child, url: '', holdsMs: [], deadlockLines: 0 }
  const onLine = (line: string) => {
    if (line.includes('deadlock')) gateway.deadlockLines += 1
    if (!line.includes('"holdMs"')) return
    const holdMs = (JSON.parse(line) as { holdMs?: number }).holdMs
    if (typeof holdMs === 'number') gateway.holdsMs.push(holdMs)
  }
  createInterface({ input: child.stderr }).on('line', onLine)
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ferry start exited with ${String(code)}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"ferry listening"')) {
        gateway.url = (JSON.parse(line) as { url: string }).url
        resolve(gateway)
      }
      onLine(line)
    })
  })
}

async function stopGateway(gateway: Gateway): Promise<void> {
  const exited = new Promise((resolve) => gateway.child.once('exit', resolve))
  gateway.child.kill('SIGTERM')
  await exited
}

interface Result {
  ok: number
  errors: number
  latenciesMs: number[]
}

/** A closed loop of CONCURRENCY clients, round robin over the gateways and `secrets`. */
async function drive(gateways: Gateway[], secrets: string[], durationMs: number): Promise<Result> {
  const result: Result = { ok: 0, errors: 0, latenciesMs: [] }
  const deadline = Date.now() + durationMs
  let n = 0
  const client = async () => {
    while (Date.now() < deadline) {
      const i = (n += 1)
      const gateway = gateways[i % gateways.length]!
      const started = performance.now()
      try {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${secrets[i % secrets.length]!}`,
            'content-type': 'application/json',
          },
          body: chatBody,
        })
        await response.arrayBuffer()
        if (response.status === 200) {
          result.ok += 1
          result.latenciesMs.push(performance.now() - started)
        } else result.errors += 1
      } catch {
        result.errors += 1
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, () => client()))
  return result
}

async function scenario(gateways: Gateway[], secrets: string[], label: string) {
  await drive(gateways, secrets, WARMUP_MS)
  for (const g of gateways) g.holdsMs = []
  const result = await drive(gateways, secrets, DURATION_MS)
  const holds = gateways.flatMap((g) => g.holdsMs).sort((a, b) => a - b)
  const latencies = [...result.latenciesMs].sort((a, b) => a - b)
  const deadlocks = gateways.reduce((s, g) => s + g.deadlockLines, 0)
  process.stdout.write(
    `${label.padEnd(28)} ${String(Math.round((result.ok * 1000) / DURATION_MS)).padStart(6)} req/s` +
      `   request p50 ${percentile(latencies, 50).toFixed(1)} ms p99 ${percentile(latencies, 99).toFixed(1)} ms` +
      `   hold p50 ${percentile(holds, 50).toFixed(2)} ms p99 ${percentile(holds, 99).toFixed(2)} ms` +
      `   deadlocks ${deadlocks}   errors ${result.errors}\n`,
  )
  return { deadlocks, errors: result.errors }
}

/** 1 + ORGS funded organizations with a key each and a hard monthly cap far above the run. */
async function seed(schema: string): Promise<string[]> {
  const handle = createDb({ url: URL_, dataDir: '.', searchPath: schema, poolMax: 4 })
  try {
    await migrateToLatest(handle.db)
    const services = createServices({
      db: handle.db,
      clock: systemClock,
      masterKey: MASTER_KEY,
      invalidation: createLocalInvalidation(),
      billingPeriodicSweep: false,
    })
    const admin = services.admin
    await admin.pricing.publish(AUDIT, {
      rows: PriceRowsSchema.parse([
        { model: '*', inputMicrosPer1M: '150000', outputMicrosPer1M: '600000' },
      ]),
    })
    const secrets: string[] = []
    for (let i = 0; i <= ORGS; i++) {
      const { organizationId } = await admin.organizations.create(AUDIT, { name: `Bench ${i}` })
      const { secret } = await admin.keys.create(AUDIT, {
        organizationId,
        name: 'bench',
        environment: 'live',
      })
      await admin.billing.credit(
        { audit: AUDIT, adminId: 'cli:bench' },
        {
          organizationId,
          environment: 'live',
          amountMicros: 900_000_000n,
          category: 'paid',
          idempotencyKey: `bench-${i}`,
        },
      )
      await admin.budgetPolicies.publish(AUDIT, {
        organizationId,
        keyId: null,
        content: { ...EMPTY_BUDGET_POLICY, hardCapMicros: 800_000_000n },
      })
      secrets.push(secret)
    }
    await services.billing.stop()
    services.stop()
    return secrets
  } finally {
    await handle.close()
  }
}

async function main() {
  const schema = `ferry_bench_${randomBytes(4).toString('hex')}`
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-scale-'))
  const admin = new pg.Client({ connectionString: URL_ })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const upstream = await startBenchUpstream(0)
  const running: Gateway[] = []
  try {
    process.stdout.write(`seeding ${ORGS + 1} organizations…\n`)
    const [hot, ...many] = (await seed(schema)) as [string, ...string[]]
    const configFile = join(dataDir, 'ferry.config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        billing: { holds: 'database' },
        providers: {
          accounts: [
            {
              name: 'bench-openai',
              kind: 'openai-compatible',
              baseUrl: upstream.url,
              credentialEnv: 'BENCH_UPSTREAM_KEY',
              models: ['gpt-4o-mini'],
            },
          ],
        },
      }),
    )
    const dbUrl = new URL(URL_)
    dbUrl.searchParams.set('options', `-c search_path=${schema}`)
    const env = {
      FERRY_CONFIG: configFile,
      FERRY_DATABASE_URL: dbUrl.toString(),
      FERRY_DATA_DIR: dataDir,
      FERRY_MASTER_KEY: MASTER_KEY.toString('hex'),
      FERRY_LOG_LEVEL: 'info',
      BENCH_UPSTREAM_KEY: 'sk-bench-upstream',
    }
    process.stdout.write(
      `gateways over HTTP, database holds, ${CONCURRENCY} concurrent clients, ${DURATION_MS} ms each\n`,
    )
    const outcomes: { deadlocks: number; errors: number }[] = []
    for (const processes of [1, 2]) {
      const gateways = await Promise.all(Array.from({ length: processes }, () => startGateway(env)))
      running.push(...gateways)
      outcomes.push(
        await scenario(gateways, [hot], `${processes} process(es), 1 hot org`),
        await scenario(gateways, many, `${processes} process(es), ${ORGS} orgs`),
      )
      for (const g of gateways) await stopGateway(g)
    }
    running.length = 0
    const unbalanced = await admin.query(
      `select a.account_id from ${schema}.ledger_accounts a
        where a.held_micros <> 0
           or a.balance_micros <> (select coalesce(sum(e.amount_micros), 0)
                                     from ${schema}.ledger_entries e
                                    where e.account_id = a.account_id)`,
    )
    const reserved = await admin.query(
      `select count(*)::int as n from ${schema}.budget_month_totals
        where reserved_spend_micros <> 0 or reserved_tokens <> 0`,
    )
    const reservedCount = (reserved.rows[0] as { n: number }).n
    process.stdout.write(
      `accounts out of balance: ${unbalanced.rowCount ?? 0}   month totals still reserved: ${reservedCount}\n`,
    )
    if (
      outcomes.some((o) => o.deadlocks > 0) ||
      (unbalanced.rowCount ?? 0) > 0 ||
      reservedCount > 0
    )
      process.exitCode = 1
  } finally {
    for (const g of running) g.child.kill('SIGKILL')
    upstream.server.close()
    await admin.query(`drop schema ${schema} cascade`)
    await admin.end()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
