import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROUTES, routeKey } from '../../../src/http/admin/admin-routes.js'
import { buildAdminOpenApi } from '../../../src/http/admin/openapi.js'
import { dialectOf, type Db } from '../../../src/storage/index.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { adminResponseSchema, jsonSchemaProblems } from '../../support/openapi-validate.js'
import { testDialects } from '../../support/test-db.js'
import { ROUTE_FIXTURES, type FixtureRequest } from './route-fixtures.js'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const mutatingRoutes = ADMIN_ROUTES.filter((route) => MUTATING.has(route.method))
const OPENAPI = buildAdminOpenApi(ADMIN_ROUTES, 'test')

function send(h: AdminHarness, route: (typeof ADMIN_ROUTES)[number], request: FixtureRequest) {
  const url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const value = request.params?.[name]
    if (value === undefined) throw new Error(`fixture for ${routeKey(route)} lacks param ${name}`)
    return value
  })
  return h.request({
    method: route.method,
    url,
    ...(request.as === 'anonymous' ? {} : { as: request.as }),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.headers ? { headers: request.headers } : {}),
  })
}

/** Every row of every table, minus last-seen stamps (updated outside transactions on purpose). */
async function snapshotTables(db: Db): Promise<Record<string, unknown[]>> {
  const names =
    dialectOf(db) === 'sqlite'
      ? (
          await sql<{
            name: string
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
            db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
            db,
          )
        ).rows.map((r) => r.name)
  const out: Record<string, unknown[]> = {}
  for (const name of names.sort()) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db))
      .rows
    out[name] = rows
      .map((row) => {
        const { last_seen_at: _seen, last_used_at: _used, ...rest } = row
        return JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
      })
      .sort()
  }
  return out
}

async function failAuditInserts(db: Db): Promise<() => Promise<void>> {
  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events
      BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END`.execute(db)
    return async () => {
      await sql`DROP TRIGGER test_fail_audit`.execute(db)
    }
  }
  await sql`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected audit failure'; END $$`.execute(db)
  await sql`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`.execute(db)
  return async () => {
    await sql`DROP TRIGGER test_fail_audit ON audit_events`.execute(db)
  }
}

describe('the admin route catalogue', () => {
  it('declares every state-changing route with an audit action and has a fixture for each', () => {
    expect(mutatingRoutes.length).toBeGreaterThan(10)
    for (const route of mutatingRoutes) {
      expect(route.action, `${routeKey(route)} must declare its audit action`).not.toBeNull()
      expect(
        ROUTE_FIXTURES[routeKey(route)],
        `missing fixture for ${routeKey(route)} in route-fixtures.ts`,
      ).toBeDefined()
    }
    for (const route of ADMIN_ROUTES.filter((r) => !MUTATING.has(r.method))) {
      expect(route.action, `${routeKey(route)} is a read and must be readOnly`).toBeNull()
    }
  })

  it('has no fixture for a route that no longer exists', () => {
    const keys = new Set(mutatingRoutes.map(routeKey))
    for (const key of Object.keys(ROUTE_FIXTURES))
      expect(keys.has(key), `stale fixture ${key}`).toBe(true)
  })
})

for (const dialect of testDialects()) {
  describe(`${dialect}: every mutating admin route is audited`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    for (const route of mutatingRoutes) {
      it(`${routeKey(route)} writes exactly one '${route.action}' event`, async () => {
        const fixture = ROUTE_FIXTURES[routeKey(route)]
        expect(fixture, `missing fixture for ${routeKey(route)}`).toBeDefined()
        const request = await fixture!.prepare(h)
        const before = (await h.auditEvents()).length
        const res = await send(h, route, request)
        expect(res.statusCode, res.body).toBe(route.successStatus)
        const added = (await h.auditEvents()).slice(before)
        expect(added.map((e) => e.action)).toEqual([route.action])
        expect(added[0]!.outcome).toBe('success')
        expect(added[0]!.request_id).toBe(res.headers['x-request-id'])
        // The answer is what the OpenAPI document (and so the console's typed client) says.
        const schema = adminResponseSchema(OPENAPI, {
          method: route.method,
          path: `/admin/v1${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`,
          status: route.successStatus,
        })
        if (schema !== undefined) expect(jsonSchemaProblems(schema, res.json())).toEqual([])
      })
    }
  })

  describe(`${dialect}: a failed audit write rolls the change back`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    for (const route of mutatingRoutes) {
      it(`${routeKey(route)} answers 500 and changes nothing`, async () => {
        const request = await ROUTE_FIXTURES[routeKey(route)]!.prepare(h)
        const before = await snapshotTables(h.db)
        const restore = await failAuditInserts(h.db)
        try {
          const res = await send(h, route, request)
          expect(res.statusCode, res.body).toBe(500)
          expectOpenAIError(res.json(), { type: 'server_error', code: 'audit_write_failed' })
        } finally {
          await restore()
        }
        expect(await snapshotTables(h.db)).toEqual(before)
      })
    }
  })
}
