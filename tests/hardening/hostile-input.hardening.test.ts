import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROUTES } from '../../src/http/admin/admin-routes.js'
import type { AdminRoute } from '../../src/http/admin/admin-route.js'
import { isWellFormedRequestId } from '../../src/lib/ids.js'
import { SETUP_AUDIT } from '../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../support/billing-fixtures.js'
import { dumpAllTables } from '../support/dump-tables.js'
import {
  HOSTILE_FAMILIES,
  V1_BODY_SCHEMAS,
  V1_FIELDS,
  hostileCasesFor,
  type CaseBudget,
  type HostileCase,
  type HostileFamily,
} from '../support/hostile-cases.js'
import { isOpenAIErrorBody } from '../support/openai-shape.js'
import { MOCK_PRICES } from '../support/priced-customer.js'
import { recordReliability } from '../support/reliability-log.js'
import { recordServedRoutes, routeName, type ServedRoute } from '../support/route-inventory.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * Issue 11, hostile and malformed input: every route under /v1 and /admin/v1 (as the running
 * app registered them, so a new route is fuzzed without anyone listing it) gets malformed JSON,
 * wrong types, huge strings, deep nesting, unicode edge cases, duplicate keys, oversized bodies,
 * invalid request IDs, hostile path IDs, hostile query values and hostile credentials. Each
 * answer must be a 4xx in OpenAI's error shape (a read may answer a well-typed hostile filter),
 * nothing may change but the usage events refused /v1 requests record, and memory must come back.
 */

/** Test body limit: small, so the oversized case is cheap; the deep-nesting cases fit under it. */
const BODY_LIMIT_BYTES = 256 * 1024
/**
 * Heap growth allowed across the measured run, after a forced GC: a run of ~2,000 cases grows
 * 2–3 MiB (lazily built caches), so a leak of 8 KiB per case or more fails.
 */
const HEAP_GROWTH_LIMIT_BYTES = 16 * 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Violation {
  route: string
  family: HostileFamily
  rule: string
  status: number
  url: string
  body: string
}

interface Fuzzed {
  app: FastifyInstance
  testDb: TestDb
  logs: { lines: string[] }
  routes: ServedRoute[]
  ownerToken: string
  customerSecret: string
  organizationIds: string[]
}

async function startFuzzTarget(testDb: TestDb): Promise<Fuzzed> {
  const built = buildTestApp({
    db: testDb.db,
    usageCustomerRead: true,
    server: { bodyLimitBytes: BODY_LIMIT_BYTES },
  })
  const served = recordServedRoutes(built.app)
  await built.services.models.ready()
  await built.app.ready()
  const admin = built.services.admin
  await admin.pricing.publish(SETUP_AUDIT, { rows: MOCK_PRICES })
  const acme = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
  // A name with LIKE wildcards in it: a search for `%` must find this one only.
  const wild = await admin.organizations.create(SETUP_AUDIT, { name: 'Beta_100%' })
  const { secret } = await admin.keys.create(SETUP_AUDIT, {
    organizationId: acme.organizationId,
    name: 'fuzzed',
    environment: 'live',
  })
  await admin.billing.credit(SETUP_BILLING_ACTOR, {
    organizationId: acme.organizationId,
    environment: 'live',
    amountMicros: 1_000_000_000n,
    category: 'paid',
    idempotencyKey: idempotencyKey('fuzz'),
  })
  const owner = await admin.users.createAdmin(
    { audit: SETUP_AUDIT },
    { email: 'owner@fuzz.example', role: 'owner', password: 'correct horse battery fuzz' },
  )
  const { token } = await admin.tokens.createToken(SETUP_AUDIT, {
    adminId: owner.adminId,
    name: 'fuzz owner',
  })
  return {
    app: built.app,
    testDb,
    logs: built.logs,
    routes: served(),
    ownerToken: token,
    customerSecret: secret,
    organizationIds: [acme.organizationId, wild.organizationId],
  }
}

const adminRouteOf = (route: ServedRoute): AdminRoute | undefined =>
  ADMIN_ROUTES.find((r) => `/admin/v1${r.url}` === route.url && r.method === route.method)

function authFor(target: Fuzzed, route: ServedRoute): Record<string, string> {
  return {
    authorization: `Bearer ${route.url.startsWith('/v1/') ? target.customerSecret : target.ownerToken}`,
  }
}

/** The rules one answer must keep; each broken rule is a violation. */
function judge(
  c: HostileCase,
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
) {
  const broken: string[] = []
  if (res.statusCode >= 500) broken.push('5xx')
  if (res.statusCode < 400 && !c.mayAccept) broken.push('accepted')
  if (res.statusCode >= 400) {
    let parsed: unknown
    try {
      parsed = JSON.parse(res.body)
    } catch {
      parsed = undefined
    }
    if (!isOpenAIErrorBody(parsed)) broken.push("not OpenAI's error shape")
  }
  const requestId = res.headers['x-request-id']
  if (typeof requestId !== 'string' || !isWellFormedRequestId(requestId))
    broken.push('no well-formed x-request-id')
  else if (c.family === 'invalid request IDs' && requestId === c.headers['x-request-id'])
    broken.push('echoed an invalid x-request-id')
  if (
    'x-injected' in res.headers ||
    JSON.stringify(res.headers['set-cookie'] ?? '').includes('stolen')
  )
    broken.push('reflected an injected header')
  return broken
}

/** Violations grouped by what broke (rule, status, error code), with a few examples each. */
function summarize(violations: Violation[]) {
  const groups = new Map<string, { count: number; examples: string[] }>()
  for (const v of violations) {
    const code = /"code":("[^"]*"|null)/.exec(v.body)?.[1] ?? v.body.slice(0, 60)
    const key = `${v.rule}: ${v.status} ${code}`
    const group = groups.get(key) ?? { count: 0, examples: [] }
    group.count += 1
    if (group.examples.length < 3)
      group.examples.push(`${v.route} [${v.family}] ${v.url.slice(0, 100)}`)
    groups.set(key, group)
  }
  return [...groups].map(([broken, { count, examples }]) => ({ broken, count, examples }))
}

/** Error-level log lines (an unhandled error is a bug even when the answer looked right). */
function takeErrorLogs(target: Fuzzed): string[] {
  const errors = target.logs.lines.filter((line) => /"level":(50|60)/.test(line))
  target.logs.lines.length = 0
  return errors
}

async function fuzzRoutes(target: Fuzzed, budget: CaseBudget, every = 1) {
  const byFamily = Object.fromEntries(HOSTILE_FAMILIES.map((f) => [f, 0])) as Record<
    HostileFamily,
    number
  >
  const byRoute = new Map<string, number>()
  const violations: Violation[] = []
  const errorLogs: string[] = []
  /** Request IDs of reads that answered 2xx: a sensitive read among them records its event. */
  const acceptedReads = new Set<string>()
  let cases = 0
  for (const [turn, route] of target.routes.entries()) {
    if (turn % every !== 0) continue
    const hostile = hostileCasesFor({
      turn,
      route,
      admin: adminRouteOf(route),
      auth: authFor(target, route),
      budget,
    })
    for (const c of hostile) {
      const res = await target.app.inject({
        method: c.method as 'GET',
        url: c.url,
        headers: c.headers,
        ...(c.payload !== undefined ? { payload: c.payload } : {}),
      })
      cases += 1
      byFamily[c.family] += 1
      if (res.statusCode < 300 && c.method === 'GET')
        acceptedReads.add(String(res.headers['x-request-id']))
      byRoute.set(routeName(route), (byRoute.get(routeName(route)) ?? 0) + 1)
      for (const rule of judge(c, res))
        violations.push({
          route: routeName(route),
          family: c.family,
          rule,
          status: res.statusCode,
          url: c.url.slice(0, 200),
          body: res.body.slice(0, 300),
        })
    }
    errorLogs.push(...takeErrorLogs(target))
  }
  return { cases, byFamily, byRoute, violations, errorLogs, acceptedReads }
}

type Rows = Record<string, unknown>[]
const rowsOf = (dump: Record<string, string>, table: string) =>
  JSON.parse(dump[table] ?? '[]') as Rows

/** Rows of `after` that `before` did not have; null when a row of `before` changed or went. */
function addedRows(before: Rows, after: Rows): Rows | null {
  const old = new Set(before.map((r) => JSON.stringify(r)))
  const now = new Set(after.map((r) => JSON.stringify(r)))
  if ([...old].some((r) => !now.has(r))) return null
  return after.filter((r) => !old.has(JSON.stringify(r)))
}

/**
 * What may differ between the tables before and after, and nothing else:
 * - usage_events gains the event every authenticated /v1 request records (refusals and reads
 *   of /v1/models, /v1/ferry/usage), each with cost 0; the ledger itself must not move;
 * - audit_events gains the event a sensitive read records when it answered (a listing or an
 *   export with a hostile but valid filter is still a read of the audit log), audit_exports the
 *   export's row, audit_chains its head: each such row must name the request ID of a read that
 *   answered 2xx (`acceptedReads`). Every other table must be identical.
 */
function stateChanges(
  before: Record<string, string>,
  after: Record<string, string>,
  acceptedReads: ReadonlySet<string>,
): string[] {
  const changes: string[] = []
  const appendOnly = new Set(['usage_events', 'audit_events', 'audit_exports'])
  const tables = new Set([...Object.keys(before), ...Object.keys(after)])
  const auditAdded = addedRows(rowsOf(before, 'audit_events'), rowsOf(after, 'audit_events'))
  for (const table of tables) {
    if (before[table] === after[table]) continue
    if (table === 'audit_chains' && auditAdded !== null && auditAdded.length > 0) continue
    const added = appendOnly.has(table)
      ? addedRows(rowsOf(before, table), rowsOf(after, table))
      : null
    if (added === null) {
      changes.push(
        `${table}: rows changed (${before[table]?.length ?? 0} → ${after[table]?.length ?? 0} bytes)`,
      )
      continue
    }
    for (const row of added) {
      const broken =
        table === 'usage_events'
          ? String(row.cost_micros) !== '0'
          : !acceptedReads.has(String(row.request_id))
      if (broken)
        changes.push(
          `${table}: unexpected new row (${String(row.action ?? row.format ?? row.endpoint)}) ${JSON.stringify(row).slice(0, 300)}`,
        )
    }
  }
  return changes
}

function heapUsedAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

for (const dialect of testDialects()) {
  // SQLite gets the full run over every route; PostgreSQL a cheaper pass over every other route
  // (the same generators, fewer cases), enough to see the other dialect refuse the same way.
  const full = dialect === 'sqlite'
  const budget: CaseBudget = full
    ? { samples: 2, perCatalogue: 3, seed: 11 }
    : { samples: 1, perCatalogue: 1, seed: 12 }
  const routeStride = full ? 1 : 2

  describe(`${dialect}: hostile input on every /v1 and /admin/v1 route`, () => {
    let target: Fuzzed
    beforeAll(async () => {
      target = await startFuzzTarget(await createTestDb(dialect))
    })
    afterAll(async () => {
      await target.app.close()
      await target.testDb.destroy()
    })

    it('fuzzes every route the app serves, the catalogue declares and the OpenAPI document lists', async () => {
      const served = new Set(target.routes.map(routeName))
      const res = await target.app.inject({
        url: '/admin/v1/openapi.json',
        headers: authFor(target, target.routes[0]!),
      })
      const documented = Object.entries(
        res.json<{ paths: Record<string, Record<string, unknown>> }>().paths,
      ).flatMap(([path, ops]) =>
        Object.keys(ops).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`,
        ),
      )
      const declared = ADMIN_ROUTES.map((r) => `${r.method} /admin/v1${r.url}`)
      const missing = [...declared, ...documented].filter((name) => !served.has(name))
      expect(missing, 'declared or documented routes the app does not serve').toEqual([])
      expect([...served].filter((n) => n.startsWith('POST /v1/')).length).toBeGreaterThanOrEqual(4)
      // An admin route registered outside the catalogue would miss its permission and audit rules.
      const undeclared = [...served].filter(
        (name) =>
          name.includes(' /admin/v1/') &&
          name !== 'GET /admin/v1/openapi.json' &&
          !declared.includes(name),
      )
      expect(undeclared, 'admin routes served but not in the catalogue').toEqual([])
    })

    it('gives every field a /v1 schema checks a value that schema refuses', () => {
      // The standard parameters v1.schemas.ts validates, named here so a lost one fails.
      const validated = [
        'max_tokens',
        'max_completion_tokens',
        'max_output_tokens',
        'temperature',
        'top_p',
        'n',
        'seed',
        'stop',
        'logit_bias',
        'logprobs',
        'top_logprobs',
        'metadata',
        'tools',
        'tool_choice',
        'response_format',
        'user',
        'dimensions',
        'best_of',
        'prompt',
        'input',
        'max_tool_calls',
      ]
      expect(validated.filter((field) => !V1_FIELDS.includes(field))).toEqual([])
      const bodyRoutes = target.routes.filter((r) => r.url in V1_BODY_SCHEMAS)
      expect(bodyRoutes.map((r) => r.url).sort()).toEqual(Object.keys(V1_BODY_SCHEMAS).sort())
      const unrefused: string[] = []
      for (const route of bodyRoutes) {
        const schema = V1_BODY_SCHEMAS[route.url]!
        const cases = hostileCasesFor({
          turn: target.routes.indexOf(route),
          route,
          admin: undefined,
          auth: authFor(target, route),
          budget,
        }).filter((c) => c.family === 'wrong field types')
        const fuzzed = new Set(cases.map((c) => c.field))
        for (const field of Object.keys(schema.shape))
          if (!fuzzed.has(field)) unrefused.push(`${route.url} ${field}: not fuzzed`)
        for (const c of cases) {
          if (c.field === undefined || !(c.field in schema.shape)) continue
          const parsed = schema.safeParse(JSON.parse(String(c.payload)))
          if (parsed.success || parsed.error.issues[0]?.path[0] !== c.field)
            unrefused.push(`${route.url} ${c.field}: ${String(c.payload).slice(0, 120)}`)
        }
      }
      expect(unrefused).toEqual([])
    })

    it('matches LIKE wildcards and quotes in a search literally', async () => {
      const searches: [string, string[]][] = [
        ['%', ['Beta_100%']],
        ['_', ['Beta_100%']],
        ['_100%', ['Beta_100%']],
        ["'", []],
        ["' OR '1'='1", []],
        ["%'; DROP TABLE organizations;--", []],
        ['\\', []],
      ]
      const wrong: string[] = []
      for (const [search, expected] of searches) {
        const res = await target.app.inject({
          url: `/admin/v1/orgs?search=${encodeURIComponent(search)}`,
          headers: { authorization: `Bearer ${target.ownerToken}` },
        })
        const names =
          res.statusCode === 200
            ? res.json<{ data: { name: string }[] }>().data.map((o) => o.name)
            : [`HTTP ${res.statusCode}`]
        if (JSON.stringify(names.sort()) !== JSON.stringify(expected))
          wrong.push(`${search}: ${names.join(', ')}`)
      }
      recordReliability({
        area: 'hostile-input',
        check: `SQL and LIKE metacharacters in the organization search (${dialect})`,
        cases: searches.length,
        failures: wrong.length,
        expectation:
          'matched literally: `%` and `_` find only names containing them, quotes find nothing',
      })
      expect(wrong).toEqual([])
    })

    it(
      "answers every hostile request with a 4xx in OpenAI's shape, changes nothing and frees its memory",
      { timeout: 120_000 },
      async () => {
        // A first pass warms every code path (lazy imports, caches, JIT) before the baseline.
        const warmup = await fuzzRoutes(
          target,
          { samples: 1, perCatalogue: 1, seed: 1 },
          4 * routeStride,
        )
        const before = await dumpAllTables(target.testDb.db)
        const baseline = heapUsedAfterGc()
        const run = await fuzzRoutes(target, budget, routeStride)
        const grownBytes = heapUsedAfterGc() - baseline
        const after = await dumpAllTables(target.testDb.db)
        const changes = stateChanges(before, after, run.acceptedReads)
        const uncovered = target.routes
          .filter((_route, turn) => turn % routeStride === 0)
          .map(routeName)
          .filter((name) => !run.byRoute.get(name))
        const violations = [...warmup.violations, ...run.violations]
        const errorLogs = [...warmup.errorLogs, ...run.errorLogs]

        recordReliability({
          area: 'hostile-input',
          check: `hostile requests on ${run.byRoute.size} of the ${target.routes.length} /v1 and /admin/v1 routes (${dialect})`,
          cases: warmup.cases + run.cases,
          failures: violations.length + errorLogs.length,
          expectation:
            "4xx in OpenAI's error shape (a read may answer a hostile filter), a minted x-request-id, no 5xx, no error logged",
          breakdown: Object.fromEntries(
            HOSTILE_FAMILIES.map((f) => [f, warmup.byFamily[f] + run.byFamily[f]]),
          ),
        })
        recordReliability({
          area: 'hostile-input',
          check: `tables unchanged after ${run.cases} hostile requests (${dialect})`,
          cases: Object.keys(before).length,
          failures: changes.length,
          expectation:
            'every table identical, except usage events of /v1 requests (cost 0) and the audit events and export rows of reads that answered 2xx',
        })
        recordReliability({
          area: 'hostile-input',
          check: `heap after GC back to baseline after ${run.cases} hostile requests (${dialect})`,
          cases: run.cases,
          failures: grownBytes > HEAP_GROWTH_LIMIT_BYTES ? 1 : 0,
          expectation: `heap growth under ${HEAP_GROWTH_LIMIT_BYTES / 1024 / 1024} MiB`,
          breakdown: { 'heap growth KiB': Math.round(grownBytes / 1024) },
        })

        expect(uncovered, 'routes no case reached').toEqual([])
        expect(summarize(violations)).toEqual([])
        expect(errorLogs.slice(0, 5)).toEqual([])
        expect(changes).toEqual([])
        expect(grownBytes).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES)
      },
    )
  })
}
