import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROLES, ROLE_PERMISSIONS } from '../../src/admins/index.js'
import type { AdminRoute } from '../../src/http/admin/admin-route.js'
import { ADMIN_ROUTES, routeKey } from '../../src/http/admin/admin-routes.js'
import { ROUTE_FIXTURES } from '../integration/admin/route-fixtures.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../support/admin-harness.js'
import { dumpAllTables } from '../support/dump-tables.js'
import { expectOpenAIError } from '../support/openai-shape.js'
import { recordReliability } from '../support/reliability-log.js'
import { testDialects } from '../support/test-db.js'

/**
 * Issue 11, admin authorization: CSRF on every state-changing console request, and the role-by-
 * route matrix. Both enumerate ADMIN_ROUTES (the registry the server registers), so a new route
 * is covered without touching this file; expected allow/deny comes from ROLE_PERMISSIONS.
 */

const dialect = testDialects()[0] ?? 'sqlite'
const MUTATING = ADMIN_ROUTES.filter((r) => r.method !== 'GET' && r.permission !== 'public')

/** A URL for the route with every `:param` filled by a well-formed ID that names nothing. */
function placeholderUrl(route: AdminRoute): string {
  return route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const id = '01jzzzzzzzzzzzzzzzzzzzzzzz'
    const byName: Record<string, string> = {
      adminId: `adm_${id}`,
      tokenId: `atk_${id}`,
      organizationId: `org_${id}`,
      keyId: `key_${id}`,
      providerAccountId: `prv_${id}`,
      supportSessionId: `sup_${id}`,
      outboxId: `obx_${id}`,
      version: '999999',
      scope: 'global',
      model: 'no-such-model',
    }
    return byName[name] ?? `x_${id}`
  })
}

function fillParams(url: string, params: Record<string, string> = {}): string {
  return url.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(params[name]!))
}

/** The error code of an OpenAI-shaped error body, or null when the body is not one. */
function errorCodeOf(body: string): string | null {
  if (!isOpenAIShape(body)) return null
  return (JSON.parse(body) as { error: { code: string | null } }).error.code
}

function isOpenAIShape(body: string): boolean {
  try {
    expectOpenAIError(JSON.parse(body))
    return true
  } catch {
    return false
  }
}

/** Everything in the database except session bookkeeping (a request may touch last_seen_at). */
async function stateOf(h: AdminHarness): Promise<string> {
  const tables = await dumpAllTables(h.db)
  delete tables.admin_sessions
  const sessions = await h.db.selectFrom('admin_sessions').select('session_id').execute()
  return JSON.stringify({ tables, sessions: sessions.map((s) => s.session_id).sort() })
}

describe(`${dialect}: CSRF on every state-changing console request`, () => {
  let h: AdminHarness
  beforeAll(async () => {
    h = await createAdminHarness(dialect)
  })
  afterAll(() => h.close())

  it('refuses a cookie request without, with an empty or with another session’s CSRF token, and changes nothing', async () => {
    const other = await h.login(await h.createAdmin({ role: 'viewer' }))
    let ownerSession = await h.login(h.owner)
    const failures: string[] = []
    const attempts: Record<string, number> = {}
    for (const route of MUTATING) {
      const key = routeKey(route)
      const fixture = ROUTE_FIXTURES[key]
      if (!fixture) {
        failures.push(`${key}: no fixture (add one to tests/integration/admin/route-fixtures.ts)`)
        continue
      }
      const request = await fixture.prepare(h)
      // Token fixtures act as the owner: the same request from the owner's console session.
      const session =
        request.as !== 'anonymous' && 'cookie' in request.as ? request.as : ownerSession
      const url = fillParams(route.url, request.params)
      const before = await stateOf(h)
      const forged = [
        { name: 'no token', headers: {} },
        { name: 'empty token', headers: { 'x-csrf-token': '' } },
        { name: 'another session’s token', headers: { 'x-csrf-token': other.csrfToken } },
        { name: 'token in a cookie', headers: { cookie: `x-csrf-token=${session.csrfToken}` } },
      ]
      for (const attempt of forged) {
        attempts[attempt.name] = (attempts[attempt.name] ?? 0) + 1
        const res = await h.app.inject({
          method: route.method,
          url: `/admin/v1${url}`,
          headers: {
            ...request.headers,
            ...attempt.headers,
            cookie: [`ferry_admin_session=${session.cookie}`, attempt.headers.cookie]
              .filter(Boolean)
              .join('; '),
          },
          ...(request.body ? { payload: request.body } : {}),
        })
        const code = errorCodeOf(res.body)
        if (res.statusCode !== 403 || code !== 'csrf_token_invalid')
          failures.push(`${key} (${attempt.name}): ${res.statusCode} ${code}`)
      }
      if ((await stateOf(h)) !== before) failures.push(`${key}: a refused request changed state`)
      // The control: with its own token the same request goes through, so the refusals above
      // refused something that would have worked.
      const ok = await h.request({
        method: route.method,
        url,
        as: session,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.body ? { body: request.body } : {}),
      })
      attempts['with the right token (control)'] =
        (attempts['with the right token (control)'] ?? 0) + 1
      if (ok.statusCode >= 300) failures.push(`${key} (control): ${ok.statusCode} ${ok.body}`)
      // A control may end the session it used (logout, a password change): start a new one.
      const check = await h.request({ method: 'GET', url: '/auth/me', as: ownerSession })
      if (check.statusCode !== 200) ownerSession = await h.login(h.owner)
    }
    recordReliability({
      area: 'admin-auth',
      check: `${dialect}: CSRF: every state-changing admin route (${MUTATING.length}) called with the session cookie and a missing, empty, foreign or cookie-borne CSRF token`,
      cases: Object.values(attempts).reduce((a, b) => a + b, 0),
      failures: failures.length,
      expectation:
        "403 csrf_token_invalid in OpenAI's shape and no change to any table; the same request with its own token succeeds",
      breakdown: attempts,
    })
    expect(failures).toEqual([])
  }, 180_000)

  it('needs no CSRF token from an admin API token, and never falls back from a bad bearer to the cookie', async () => {
    const session = await h.login(h.owner)
    const byToken = await h.request({
      method: 'POST',
      url: '/orgs',
      as: { token: h.ownerToken },
      body: { name: 'Token Co' },
    })
    const badBearer = await h.app.inject({
      method: 'POST',
      url: '/admin/v1/orgs',
      headers: {
        authorization: 'Bearer fadm_not_a_real_token',
        cookie: `ferry_admin_session=${session.cookie}`,
        'x-csrf-token': session.csrfToken,
      },
      payload: { name: 'Should not exist' },
    })
    expect(byToken.statusCode, byToken.body).toBe(201)
    expect(badBearer.statusCode).toBe(401)
    expectOpenAIError(badBearer.json())
    const names = (await h.db.selectFrom('organizations').select('name').execute()).map(
      (o) => o.name,
    )
    expect(names).not.toContain('Should not exist')
  })
})

/** A credential under test: a role's console session or API token, or a narrowed token. */
interface Caller {
  label: string
  permissions: ReadonlySet<string>
  as: { token: string } | { cookie: string; csrfToken: string }
  via: 'session' | 'token'
}

describe(`${dialect}: every admin role against every admin route`, () => {
  let h: AdminHarness
  const callers: Caller[] = []
  beforeAll(async () => {
    h = await createAdminHarness(dialect)
    for (const role of ADMIN_ROLES) {
      const admin = await h.createAdmin({ role })
      const permissions = new Set<string>(ROLE_PERMISSIONS[role])
      const session = await h.login(admin)
      callers.push({ label: `${role} session`, permissions, as: session, via: 'session' })
      callers.push({
        label: `${role} token`,
        permissions,
        as: { token: await h.createToken(admin) },
        via: 'token',
      })
    }
    // An owner's token narrowed to one permission holds that one, not the owner's.
    const narrowed = await h.services.tokens.createToken(SETUP_AUDIT, {
      adminId: h.owner.adminId,
      name: 'narrowed',
      permissions: ['orgs.read'],
    })
    callers.push({
      label: 'owner token narrowed to orgs.read',
      permissions: new Set(['orgs.read']),
      as: { token: narrowed.token },
      via: 'token',
    })
  })
  afterAll(() => h.close())

  it('allows exactly what the permission registry grants, and answers 403 in OpenAI shape otherwise', async () => {
    const routes = ADMIN_ROUTES.filter((r) => r.permission !== 'public')
    // Logout ends the session it is called with: run it last.
    const ordered = [...routes].sort((a, b) => Number(isLogout(a)) - Number(isLogout(b)))
    const failures: string[] = []
    const counts = { 'allowed by the registry': 0, 'denied by the registry': 0 }
    for (const route of ordered) {
      for (const caller of callers) {
        const allowed =
          route.permission === 'authenticated' || caller.permissions.has(route.permission)
        counts[allowed ? 'allowed by the registry' : 'denied by the registry'] += 1
        const res = await h.request({
          method: route.method,
          url: placeholderUrl(route),
          as: caller.as,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }),
        })
        const label = `${caller.label} → ${routeKey(route)}`
        if (res.statusCode >= 500) failures.push(`${label}: ${res.statusCode} ${res.body}`)
        else if (!allowed) {
          const code = errorCodeOf(res.body)
          if (res.statusCode !== 403 || code !== 'permission_denied')
            failures.push(`${label}: expected 403 permission_denied, got ${res.statusCode} ${code}`)
        } else if (res.statusCode === 403 || res.statusCode === 401) {
          failures.push(`${label}: allowed by the registry, got ${res.statusCode} ${res.body}`)
        }
      }
    }
    recordReliability({
      area: 'admin-auth',
      check: `${dialect}: role-by-route matrix: ${callers.length} credentials (each role's session and token, a narrowed token) × ${routes.length} admin routes from the registry`,
      cases: counts['allowed by the registry'] + counts['denied by the registry'],
      failures: failures.length,
      expectation:
        "denied pairs: 403 permission_denied in OpenAI's shape; allowed pairs: never 401/403 (a 4xx validation error for the empty body is fine); never a 5xx",
      breakdown: counts,
    })
    expect(failures).toEqual([])
  }, 120_000)
})

function isLogout(route: AdminRoute): boolean {
  return route.url === '/auth/logout'
}
