import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROUTES, routeKey } from '../../../src/http/admin/admin-routes.js'
import { buildAdminOpenApi } from '../../../src/http/admin/openapi.js'
import { newId } from '../../../src/lib/ids.js'
import { enqueueOutbox, findOutboxEvents } from '../../../src/outbox/index.js'
import { PriceRowsSchema } from '../../../src/pricing/index.js'
import { findUsageEventsOfRequest } from '../../../src/usage/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from '../../support/billing-fixtures.js'
import {
  DISPUTE_APP_OPTIONS,
  scriptDispute,
  type ScriptedDispute,
} from '../../support/evidence-dispute.js'
import { adminResponseSchema, jsonSchemaProblems } from '../../support/openapi-validate.js'
import {
  CATCH_ALL_PRICE_ROWS,
  organizationWithBudgetPolicies,
} from '../../support/pricing-budget-fixtures.js'
import { testDialects } from '../../support/test-db.js'

/**
 * Every read-only admin route that declares a response schema answers what the OpenAPI
 * document (and so the console's typed client) says, on real data: one data set per dialect
 * (the dispute of issue #8, plus what it lacks), with every list in it non-empty so the item
 * schemas are checked too. The mutating routes are checked the same way by
 * every-mutating-route-is-audited.int.test.ts.
 */

const OPENAPI = buildAdminOpenApi(ADMIN_ROUTES, 'test')
type Schema = Record<string, unknown>

const documentPathOf = (url: string) => `/admin/v1${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`
const schemaOf = (route: (typeof ADMIN_ROUTES)[number]): Schema | undefined =>
  adminResponseSchema(OPENAPI, {
    method: route.method,
    path: documentPathOf(route.url),
    status: route.successStatus,
  })
const readRoutes = ADMIN_ROUTES.filter((r) => r.method === 'GET' && schemaOf(r) !== undefined)

/** The dispute's app, with holds in the database: in-process holds leave no row to show. */
const READ_APP_OPTIONS = {
  ...DISPUTE_APP_OPTIONS,
  billing: { ...DISPUTE_APP_OPTIONS.billing, holds: 'database' as const },
}

/** The IDs the read routes are called with, all of things that exist in the data set. */
interface ReadData {
  dispute: ScriptedDispute
  /** An admin with a grant on top of its role (a non-empty `overrides`). */
  adminId: string
  keyId: string
  auditEventId: string
  /** A completed audit export (its manifest is stored). */
  auditExportId: string
  storedProviderAccountId: string
  /** Two global route policy versions that differ (the second is in force). */
  routePolicyVersions: [number, number]
  basePriceVersion: number
  /** Its override of the base table has rows (one free, one priced) and a markup. */
  overrideOrganizationId: string
  overrideVersion: number
  /** Two budget policy versions. */
  budgetOrganizationId: string
  pendingApprovalId: string
  /** A dead webhook delivery (another one is pending). */
  outboxId: string
  /** Opted in to capture, with one captured request. */
  captureOrganizationId: string
  capturedRequestId: string
}

/** How to call one read route: its `:params` and query, from the data set. */
interface ReadFixture {
  request(d: ReadData): { params?: Record<string, string>; query?: Record<string, string> }
  /**
   * Lists (schema paths such as `data[].overrides`) this answer may leave empty, each for a
   * reason the data set cannot change; every other list must hold at least one item.
   */
  mayBeEmpty?: readonly string[]
}

const NO_PARAMS: ReadFixture = { request: () => ({}) }

/** One entry per read route with a response schema, keyed `METHOD /url` (see `routeKey`). */
const READ_FIXTURES: Readonly<Record<string, ReadFixture>> = {
  'GET /auth/me': NO_PARAMS,
  'GET /admins': NO_PARAMS,
  'GET /admins/:adminId': { request: (d) => ({ params: { adminId: d.adminId } }) },
  'GET /settings/security': NO_PARAMS,
  'GET /admin-tokens': { request: () => ({ query: { scope: 'all' } }) },
  'GET /support-sessions': { request: () => ({ query: { scope: 'all' } }) },
  'GET /audit-events': NO_PARAMS,
  'GET /audit-events/:audit_event_id': {
    request: (d) => ({ params: { audit_event_id: d.auditEventId } }),
  },
  'GET /audit-exports/:export_id': { request: (d) => ({ params: { export_id: d.auditExportId } }) },
  'GET /audit/public-key': NO_PARAMS,
  'GET /orgs': NO_PARAMS,
  'GET /orgs/summary': {
    request: () => ({}),
    // The owner may read every part of a summary: nothing is withheld.
    mayBeEmpty: ['withheld'],
  },
  'GET /orgs/:organizationId': {
    request: (d) => ({ params: { organizationId: d.dispute.organizationId } }),
  },
  'GET /orgs/:organizationId/keys': {
    request: (d) => ({ params: { organizationId: d.dispute.organizationId } }),
  },
  'GET /keys/:keyId': { request: (d) => ({ params: { keyId: d.keyId } }) },
  'GET /providers': NO_PARAMS,
  'GET /providers/:providerAccountId': {
    request: (d) => ({ params: { providerAccountId: d.storedProviderAccountId } }),
  },
  'GET /route-policies': NO_PARAMS,
  'GET /route-policies/diff': {
    request: (d) => ({
      query: { from: String(d.routePolicyVersions[0]), to: String(d.routePolicyVersions[1]) },
    }),
  },
  'GET /route-policies/dry-run': {
    request: (d) => ({
      query: {
        model: 'assistant',
        organizationId: d.dispute.organizationId,
        budgetState: 'downgrade',
      },
    }),
    // Every target of the economy route is available: nothing is skipped.
    mayBeEmpty: ['skipped'],
  },
  'GET /route-policies/scopes/:scope': { request: () => ({ params: { scope: 'global' } }) },
  'GET /route-policies/:version': {
    request: (d) => ({ params: { version: String(d.routePolicyVersions[1]) } }),
  },
  'GET /provider-health': NO_PARAMS,
  'GET /price-tables': NO_PARAMS,
  'GET /price-tables/current': NO_PARAMS,
  'GET /price-tables/coverage': {
    request: () => ({}),
    // The dispute's base table prices every served model.
    mayBeEmpty: ['missing'],
  },
  'GET /price-tables/:version': {
    request: (d) => ({ params: { version: String(d.basePriceVersion) } }),
  },
  'GET /orgs/:organizationId/price-overrides': {
    request: (d) => ({ params: { organizationId: d.overrideOrganizationId } }),
  },
  'GET /orgs/:organizationId/price-overrides/:version': {
    request: (d) => ({
      params: { organizationId: d.overrideOrganizationId, version: String(d.overrideVersion) },
    }),
  },
  'GET /orgs/:organizationId/budget-policies': {
    request: (d) => ({ params: { organizationId: d.budgetOrganizationId } }),
  },
  'GET /orgs/:organizationId/budget-policies/current': {
    request: (d) => ({ params: { organizationId: d.budgetOrganizationId } }),
  },
  'GET /orgs/:organizationId/budget-policies/diff': {
    request: (d) => ({
      params: { organizationId: d.budgetOrganizationId },
      query: { from: '1', to: '2' },
    }),
  },
  'GET /orgs/:organizationId/budget-policies/:version': {
    request: (d) => ({ params: { organizationId: d.budgetOrganizationId, version: '1' } }),
  },
  'GET /orgs/:organizationId/billing/balance': {
    request: (d) => ({ params: { organizationId: d.dispute.organizationId } }),
  },
  'GET /orgs/:organizationId/billing/entries': {
    request: (d) => ({ params: { organizationId: d.dispute.organizationId } }),
  },
  'GET /billing/entries/:entryId': {
    request: (d) => ({ params: { entryId: d.dispute.chargeEntryId } }),
  },
  'GET /billing/approvals': NO_PARAMS,
  'GET /billing/approvals/:approvalId': {
    request: (d) => ({ params: { approvalId: d.pendingApprovalId } }),
  },
  'GET /webhooks/deliveries': NO_PARAMS,
  'GET /webhooks/deliveries/:outboxId': { request: (d) => ({ params: { outboxId: d.outboxId } }) },
  'GET /orgs/:organizationId/request-logging': {
    request: (d) => ({ params: { organizationId: d.captureOrganizationId } }),
  },
  'GET /request-logs/:requestId': {
    request: (d) => ({ params: { requestId: d.capturedRequestId } }),
  },
  'GET /usage': NO_PARAMS,
  'GET /usage/aggregates': { request: () => ({ query: { groupBy: 'model' } }) },
  'GET /evidence/requests/:requestId': {
    request: (d) => ({ params: { requestId: d.dispute.requestId } }),
  },
}

/** Poll (setup runs outside a test, where expect.poll is not available). */
async function waitFor<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = await read()
    if (found !== undefined) return found
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('timed out waiting for the read-route data set')
}

/** A global route policy over the built-in mock account; `n` makes each one different. */
function globalPolicy(n: number): Record<string, unknown> {
  const route = { targets: [{ provider: 'mock', model: 'mock' }], aliases: [`read-alias-${n}`] }
  return { routes: { [`read-fixture-${n}`]: route } }
}

/**
 * A new organization with credit for a few requests at the dispute's prices; the dispute's
 * approval threshold makes that a credit a second admin approves.
 */
async function fundedWithApproval(h: AdminHarness): Promise<string> {
  const organizationId = await h.createOrganization('Capture Co')
  const amountMicros = 1_000_000n
  const approval = await h.services.billing.requestApproval(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    action: 'billing.credit',
    amountMicros,
  })
  await h.services.billing.grantApproval(
    { audit: SETUP_AUDIT, adminId: 'cli:second-operator' },
    approval.approvalId,
  )
  await h.services.billing.credit(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    amountMicros,
    category: 'paid',
    idempotencyKey: idempotencyKey('read-routes-fund'),
    approvalId: approval.approvalId,
  })
  return organizationId
}

/** Admins with a grant, a narrowed token and an open support session. */
async function seedAccess(h: AdminHarness, organizationId: string) {
  const granted = await h.createAdmin({ role: 'viewer' })
  await h.services.users.grantPermission(
    { audit: SETUP_AUDIT },
    { adminId: granted.adminId, permission: 'usage.export' },
  )
  // A narrowed token, so a token's `permissions` is a list at least once.
  await h.services.tokens.createToken(SETUP_AUDIT, {
    adminId: h.owner.adminId,
    name: 'narrowed',
    permissions: ['usage.read'],
  })
  const agent = await h.createAdmin({ role: 'support' })
  await h.services.supportSessions.start(
    { ...SETUP_AUDIT, actor: { type: 'user', id: agent.adminId, role: 'support' } },
    { adminId: agent.adminId, organizationId, durationMs: 600_000 },
  )
  // A key with scopes, so the scope lists are lists.
  const { key } = await h.services.keys.create(SETUP_AUDIT, {
    organizationId,
    name: 'scoped',
    environment: 'test',
    scopes: { models: ['assistant'], endpoints: ['chat.completions'] },
  })
  return { adminId: granted.adminId, keyId: key.keyId }
}

/** Checkpoints, a completed export, and webhook deliveries of audit events. */
async function seedAuditTrail(h: AdminHarness) {
  await h.services.audit.writeCheckpoints(SETUP_AUDIT)
  const started = await h.services.audit.startExport(SETUP_AUDIT, {
    format: 'jsonl',
    filters: {},
  })
  for await (const _line of started.lines) {
    // Reading the export to its end stores its signed manifest.
  }
  const [auditEvent] = (await h.auditEvents()).slice(-1)

  // Two deliveries: one pending, one dead (as if the receiver had been down throughout).
  const eventIds = [newId('aud', h.clock.nowMs()), newId('aud', h.clock.nowMs() + 1)]
  await enqueueOutbox(
    h.db,
    eventIds.map((eventId) => ({ topic: 'audit' as const, eventId, payload: { fixture: true } })),
    { nowMs: h.clock.nowMs() },
  )
  const [dead] = await findOutboxEvents(h.db, { eventId: eventIds[1]!, limit: 1 })
  await h.db
    .updateTable('outbox_events')
    .set({ status: 'dead', attempts: 20, last_error: 'connection_refused' })
    .where('outbox_id', '=', dead!.outbox_id)
    .execute()
  return {
    auditEventId: auditEvent!.audit_event_id,
    auditExportId: started.exportId,
    outboxId: dead!.outbox_id,
  }
}

/** A stored provider account, two global route policies, a price override, two budget policies. */
async function seedCatalogue(h: AdminHarness) {
  const stored = await h.services.providerAccounts.create(SETUP_AUDIT, {
    name: 'read-fixture',
    kind: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:8000/v1',
    models: ['fixture-model'],
    aliases: { fixture: 'fixture-model' },
    extraHeaders: { 'x-team': 'ferry' },
    timeouts: { connectMs: 1000 },
    credential: 'fixture-credential-0123456789',
  })
  const publish = (n: number) =>
    h.services.routing.policies.publish(SETUP_AUDIT, { scope: 'global', policy: globalPolicy(n) })
  const first = await publish(1)
  const second = await publish(2)
  const [basePrice] = await h.services.pricing.listVersions({ organizationId: null, limit: 1 })
  const overrideOrganizationId = await h.createOrganization('Override Co')
  const override = await h.services.pricing.publishOverride(SETUP_AUDIT, {
    organizationId: overrideOrganizationId,
    rows: PriceRowsSchema.parse(CATCH_ALL_PRICE_ROWS),
    markupBps: 1500,
    note: 'read fixture',
  })
  return {
    storedProviderAccountId: stored.providerAccountId,
    routePolicyVersions: [first.version, second.version] as [number, number],
    basePriceVersion: basePrice!.version,
    overrideOrganizationId,
    overrideVersion: override.version,
    budgetOrganizationId: await organizationWithBudgetPolicies(h, 2),
  }
}

/** An organization that opted in to capture, and one request of it, captured and metered. */
async function seedCapturedRequest(h: AdminHarness) {
  const captureOrganizationId = await fundedWithApproval(h)
  const { secret } = await h.services.keys.create(SETUP_AUDIT, {
    organizationId: captureOrganizationId,
    name: 'captured',
    environment: 'live',
  })
  await h.services.requestLogs.updateSettings(SETUP_AUDIT, captureOrganizationId, {
    captureEnabled: true,
    retentionDays: 7,
  })
  const completion = await h.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${secret}` },
    payload: { model: 'mock', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 },
  })
  if (completion.statusCode !== 200) throw new Error(`capture request: ${completion.body}`)
  const capturedRequestId = String(completion.headers['x-request-id'])
  await h.runtime.requestLog.flush()
  // The request log shows its usage once the usage writer has recorded it.
  await waitFor(async () => (await findUsageEventsOfRequest(h.db, capturedRequestId))[0])
  return { captureOrganizationId, capturedRequestId }
}

/** The dispute, and what it lacks, added through the services (and one /v1 request). */
async function seedReadData(h: AdminHarness): Promise<ReadData> {
  const dispute = await scriptDispute(h, { requestId: `req_read_routes_${h.clock.nowMs()}` })
  const pending = await h.services.billing.requestApproval(SETUP_BILLING_ACTOR, {
    organizationId: dispute.organizationId,
    environment: 'live',
    action: 'billing.credit',
    amountMicros: 5_000_000_000n,
  })
  return {
    dispute,
    pendingApprovalId: pending.approvalId,
    ...(await seedAccess(h, dispute.organizationId)),
    ...(await seedAuditTrail(h)),
    ...(await seedCatalogue(h)),
    ...(await seedCapturedRequest(h)),
  }
}

/**
 * The lists of an answer that hold no item anywhere, as schema paths (`data[].overrides`; a
 * record's values are `*`). Only lists the schema describes count: an array inside a free-form
 * value (an audit diff, a captured prompt) has no item schema to check.
 */
function emptyLists(schema: Schema, value: unknown): string[] {
  const filled = new Map<string, boolean>()
  const walk = (node: Schema, at: unknown, path: string): void => {
    for (const key of ['anyOf', 'oneOf'] as const) {
      const variants = node[key] as Schema[] | undefined
      const match = variants?.find((v) => jsonSchemaProblems(v, at).length === 0)
      if (match) walk(match, at, path)
    }
    for (const part of (node.allOf as Schema[] | undefined) ?? []) walk(part, at, path)
    const child = (key: string) => (path === '' ? key : `${path}.${key}`)
    if (Array.isArray(at) && typeof node.items === 'object') {
      filled.set(path, (filled.get(path) ?? false) || at.length > 0)
      for (const item of at) walk(node.items as Schema, item, `${path}[]`)
    } else if (typeof at === 'object' && at !== null && !Array.isArray(at)) {
      const properties = (node.properties ?? {}) as Record<string, Schema>
      const rest = node.additionalProperties
      for (const [key, item] of Object.entries(at)) {
        const property = properties[key]
        if (property) walk(property, item, child(key))
        else if (typeof rest === 'object' && rest !== null) walk(rest as Schema, item, child('*'))
      }
    }
  }
  walk(schema, value, '')
  return [...filled].filter(([, any]) => !any).map(([path]) => path)
}

describe('the read routes with a response schema', () => {
  it('each have an entry in READ_FIXTURES', () => {
    expect(readRoutes.length).toBeGreaterThan(40)
    for (const route of readRoutes)
      expect(READ_FIXTURES[routeKey(route)], `missing entry for ${routeKey(route)}`).toBeDefined()
  })

  it('have no entry for a route that is gone or declares no schema', () => {
    const keys = new Set(readRoutes.map(routeKey))
    for (const key of Object.keys(READ_FIXTURES))
      expect(keys.has(key), `stale entry ${key}`).toBe(true)
  })
})

for (const dialect of testDialects()) {
  describe(`${dialect}: every read route answers what its response schema says`, () => {
    let h: AdminHarness
    let data: ReadData
    beforeAll(async () => {
      h = await createAdminHarness(dialect, { app: READ_APP_OPTIONS })
      data = await seedReadData(h)
    }, 120_000)
    afterAll(() => h.close())

    for (const route of readRoutes) {
      it(`${routeKey(route)} matches its schema, with every list filled`, async () => {
        const fixture = READ_FIXTURES[routeKey(route)]
        expect(fixture, `missing entry for ${routeKey(route)}`).toBeDefined()
        const { params = {}, query = {} } = fixture!.request(data)
        const url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
          const value = params[name]
          if (value === undefined) throw new Error(`entry for ${routeKey(route)} lacks ${name}`)
          return encodeURIComponent(value)
        })
        const search = new URLSearchParams(query).toString()
        const res = await h.request({
          method: 'GET',
          url: search === '' ? url : `${url}?${search}`,
          as: { token: h.ownerToken },
        })
        expect(res.statusCode, res.body).toBe(route.successStatus)
        const schema = schemaOf(route)!
        expect(jsonSchemaProblems(schema, res.json())).toEqual([])
        const unexpected = emptyLists(schema, res.json()).filter(
          (path) => !(fixture!.mayBeEmpty ?? []).includes(path),
        )
        expect(unexpected, 'lists without an item: give the data set one').toEqual([])
      })
    }

    it('GET /route-policies/scopes/:scope answers its other shape, no version yet, by the schema too', async () => {
      // An organization that never had a policy of its own: the placeholder answer.
      const organizationId = await h.createOrganization('No Policy')
      const res = await h.request({
        method: 'GET',
        url: `/route-policies/scopes/${organizationId}`,
        as: { token: h.ownerToken },
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ version: null, policy: null, scope: organizationId })
      const route = readRoutes.find((r) => r.url === '/route-policies/scopes/:scope')!
      expect(jsonSchemaProblems(schemaOf(route)!, res.json())).toEqual([])
    })
  })
}
