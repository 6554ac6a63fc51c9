import type { FastifyInstance } from 'fastify'
import type { LightMyRequestResponse } from 'fastify'
import type { AdminAuthPolicy, AdminRole } from '../../src/admins/index.js'
import type { AdminApiServices } from '../../src/http/admin/admin-api-services.js'
import type { AuditContext } from '../../src/audit/audit-event.js'
import type { AuditEventRow } from '../../src/audit/audit.repository.js'
import { createAuditLog } from '../../src/audit/index.js'
import { createLocalInvalidation } from '../../src/invalidation/index.js'
import { createManualClock, type ManualClock } from '../../src/lib/clock.js'
import { createOrganizationsService } from '../../src/organizations/index.js'
import type { Dialect } from '../../src/storage/index.js'
import { buildTestApp } from './test-app.js'
import { createTestDb, type TestDb } from './test-db.js'

/** How a test request authenticates: an admin token, a session (cookie + CSRF), or nothing. */
export type TestCredential =
  { token: string } | { cookie: string; csrfToken: string; omitCsrf?: boolean } | undefined

export interface TestAdmin {
  adminId: string
  email: string
  password: string
}

/** The context setup steps run under: the operator at the CLI, with a reason. */
export const SETUP_AUDIT: AuditContext = {
  actor: { type: 'cli', id: 'cli:test', role: null },
  ip: null,
  userAgent: null,
  requestId: null,
  reason: { code: 'test_setup' },
}

let emailCounter = 0

/**
 * A fresh database and app with one owner (and an owner token), a manual clock, captured logs,
 * and helpers to create admins, log in and call `/admin/v1`.
 */
export async function createAdminHarness(
  dialect: Dialect,
  options: {
    adminPolicy?: Partial<AdminAuthPolicy>
    testDb?: TestDb
    /** The `webhooks` config section (audit events enqueued in the outbox when it has a URL). */
    webhooks?: Parameters<typeof buildTestApp>[0]['webhooks']
    /** Provider accounts and billing settings of the app (a harness that also serves /v1). */
    app?: Pick<
      Parameters<typeof buildTestApp>[0],
      'providerAccounts' | 'billing' | 'upstreamAddresses'
    >
  } = {},
) {
  const testDb = options.testDb ?? (await createTestDb(dialect))
  const clock: ManualClock = createManualClock(Date.UTC(2026, 0, 1, 9))
  const built = buildTestApp({
    db: testDb.db,
    clock,
    ...(options.adminPolicy ? { adminPolicy: options.adminPolicy } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...options.app,
  })
  const app: FastifyInstance = built.app
  const services: AdminApiServices = built.adminServices

  async function createAdmin(spec: {
    role: AdminRole
    email?: string
    password?: string
  }): Promise<TestAdmin> {
    emailCounter += 1
    const email = spec.email ?? `${spec.role}-${emailCounter}-${Date.now()}@example.com`
    const password = spec.password ?? `correct horse battery ${emailCounter}`
    const admin = await services.users.createAdmin(
      { audit: SETUP_AUDIT },
      { email, role: spec.role, password },
    )
    return { adminId: admin.adminId, email, password }
  }

  async function createToken(admin: TestAdmin, name = 'test token'): Promise<string> {
    const created = await services.tokens.createToken(SETUP_AUDIT, { adminId: admin.adminId, name })
    return created.token
  }

  async function request(spec: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    url: string
    as?: TestCredential
    body?: unknown
    headers?: Record<string, string>
  }): Promise<LightMyRequestResponse> {
    // One millisecond per request: events of different chains still sort by time.
    clock.advance(1)
    const headers: Record<string, string> = { ...spec.headers }
    const as = spec.as
    if (as && 'token' in as) headers.authorization = `Bearer ${as.token}`
    if (as && 'cookie' in as) {
      headers.cookie = `ferry_admin_session=${as.cookie}`
      if (!as.omitCsrf) headers['x-csrf-token'] = as.csrfToken
    }
    return app.inject({
      method: spec.method,
      url: `/admin/v1${spec.url}`,
      headers,
      ...(spec.body !== undefined ? { payload: spec.body as Record<string, unknown> } : {}),
    })
  }

  /** Log in over HTTP; returns the session credential (or throws with the response). */
  async function login(admin: Pick<TestAdmin, 'email' | 'password'>, totpCode?: string) {
    const res = await request({
      method: 'POST',
      url: '/auth/login',
      body: { email: admin.email, password: admin.password, ...(totpCode ? { totpCode } : {}) },
    })
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
    const setCookie = String(res.headers['set-cookie'])
    const cookie = /ferry_admin_session=([^;]+)/.exec(setCookie)?.[1] ?? ''
    const body = res.json<{ csrfToken: string; mfaEnrollmentRequired: boolean }>()
    return { cookie, csrfToken: body.csrfToken, setCookie, body, res }
  }

  async function auditEvents(): Promise<AuditEventRow[]> {
    return testDb.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('created_at')
      .orderBy('sequence')
      .execute()
  }

  const owner = await createAdmin({ role: 'owner' })
  const ownerToken = await createToken(owner, 'owner automation')
  await app.ready()

  const organizations = createOrganizationsService({
    db: testDb.db,
    auditLog: createAuditLog({ db: testDb.db, clock }),
    clock,
    invalidation: createLocalInvalidation(),
  })
  /** A real organization (support sessions and keys need one that exists). */
  async function createOrganization(name = 'Acme'): Promise<string> {
    return (await organizations.create(SETUP_AUDIT, { name })).organizationId
  }

  return {
    testDb,
    createOrganization,
    db: testDb.db,
    app,
    logs: built.logs,
    services,
    /** Everything createServices built (the model resolver, caches) for this app. */
    runtime: built.services,
    clock,
    owner,
    ownerToken,
    createAdmin,
    createToken,
    request,
    login,
    auditEvents,
    close: async () => {
      await app.close()
      if (!options.testDb) await testDb.destroy()
    },
  }
}

export type AdminHarness = Awaited<ReturnType<typeof createAdminHarness>>
