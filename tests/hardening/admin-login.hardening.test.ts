import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../support/admin-harness.js'
import { jsonOf } from '../support/json-of.js'
import { expectOpenAIError } from '../support/openai-shape.js'
import { recordReliability } from '../support/reliability-log.js'
import { buildTestApp } from '../support/test-app.js'
import { testDialects } from '../support/test-db.js'

/**
 * Issue 11, admin authentication: brute-force lockout (per account and per address, bounded,
 * audited, no account enumeration, not bypassed by concurrency), session fixation and server-side
 * logout, and the session cookie's flags.
 */

const MINUTE = 60_000
let addressCounter = 0
/** A fresh client address per scenario, so the per-address throttle of one never leaks into another. */
const freshAddress = () => `198.51.100.${(addressCounter += 1)}`

function login(
  h: AdminHarness,
  spec: { email: string; password: string; address: string; cookie?: string },
) {
  h.clock.advance(1)
  return h.app.inject({
    method: 'POST',
    url: '/admin/v1/auth/login',
    remoteAddress: spec.address,
    headers: spec.cookie ? { cookie: `ferry_admin_session=${spec.cookie}` } : {},
    payload: { email: spec.email, password: spec.password },
  })
}

/** What a client can observe of a failed login: status, body (minus numbers), retry-after. */
function observable(res: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  return {
    status: res.statusCode,
    body: res.body.replace(/\d+/g, 'N'),
    retryAfter: res.headers['retry-after'] ?? null,
  }
}

const sessionCookieOf = (res: { headers: Record<string, unknown> }) =>
  /ferry_admin_session=([^;]*)/.exec(String(res.headers['set-cookie']))?.[1] ?? null

for (const dialect of testDialects()) {
  describe(`${dialect}: admin login lockout`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('answers an unknown email, a wrong password and a disabled account identically, locked or not', async () => {
      const known = await h.createAdmin({ role: 'viewer' })
      const disabled = await h.createAdmin({ role: 'viewer' })
      await h.services.users.disableAdmin({ audit: SETUP_AUDIT }, disabled.adminId)
      const attemptsPerAccount = 9 // 5 free failures, then locked attempts
      const sequences: Record<string, ReturnType<typeof observable>[]> = {}
      const cases = {
        'wrong password': { email: known.email, password: 'wrong password 123' },
        'unknown email': { email: `nobody-${dialect}@example.com`, password: 'wrong password 123' },
        'disabled account (right password)': { email: disabled.email, password: disabled.password },
      }
      for (const [name, attempt] of Object.entries(cases)) {
        const address = freshAddress()
        sequences[name] = []
        for (let i = 0; i < attemptsPerAccount; i++)
          sequences[name].push(observable(await login(h, { ...attempt, address })))
      }
      const [reference, ...others] = Object.values(sequences)
      const differing = others.filter((s) => JSON.stringify(s) !== JSON.stringify(reference))
      recordReliability({
        area: 'admin-auth',
        check: `${dialect}: failed logins for a wrong password, an unknown email and a disabled account, before and during lockout`,
        cases: attemptsPerAccount * Object.keys(cases).length,
        failures: differing.length * attemptsPerAccount,
        expectation:
          'the same status, body and retry-after for each: a failed login never tells whether the email exists',
        breakdown: { 'attempts per account': attemptsPerAccount },
      })
      expect(differing).toEqual([])
      expect(reference!.slice(0, 5).every((o) => o.status === 401)).toBe(true)
      expect(reference!.slice(5).every((o) => o.status === 429)).toBe(true)
    })

    it('refuses even the right password while locked, creates no session, and audits each refusal', async () => {
      const victim = await h.createAdmin({ role: 'admin' })
      const address = freshAddress()
      for (let i = 0; i < 5; i++)
        await login(h, { email: victim.email, password: 'not it at all', address })
      const sessionsBefore = await h.db.selectFrom('admin_sessions').selectAll().execute()
      const eventsBefore = (await h.auditEvents()).length
      const lockedTries = 10
      const problems: string[] = []
      for (let i = 0; i < lockedTries; i++) {
        // From other addresses too: the account lock does not depend on where guesses come from.
        const res = await login(h, {
          email: victim.email,
          password: victim.password,
          address: i % 2 ? address : freshAddress(),
        })
        const retryAfter = Number(res.headers['retry-after'])
        if (res.statusCode !== 429) problems.push(`try ${i}: ${res.statusCode}`)
        else {
          expectOpenAIError(res.json(), {
            type: 'rate_limit_error',
            code: 'too_many_login_attempts',
          })
          if (!(retryAfter >= 1 && retryAfter <= 3600)) problems.push(`retry-after ${retryAfter}`)
          if (res.headers['set-cookie'] !== undefined) problems.push(`try ${i} set a cookie`)
        }
      }
      const sessionsAfter = await h.db.selectFrom('admin_sessions').selectAll().execute()
      if (sessionsAfter.length !== sessionsBefore.length) problems.push('a session was created')
      const events = (await h.auditEvents()).slice(eventsBefore)
      const denied = events.filter(
        (e) =>
          e.action === 'admin.login_failed' &&
          e.outcome === 'denied' &&
          String(e.evidence_json ?? '').includes('locked_out'),
      )
      if (denied.length !== lockedTries) problems.push(`${denied.length} denials audited`)
      if (jsonOf(events).includes(victim.password)) problems.push('password in audit')
      recordReliability({
        area: 'admin-auth',
        check: `${dialect}: logins with the right password while the account is locked`,
        cases: lockedTries,
        failures: problems.length,
        expectation:
          "429 too_many_login_attempts in OpenAI's shape with retry-after (1 s–1 h), no session, one admin.login_failed (denied, locked_out) event each",
      })
      expect(problems).toEqual([])
    })

    it('keeps the lock bounded: never longer than an hour, and forgotten after a quiet window', async () => {
      const victim = await h.createAdmin({ role: 'viewer' })
      const address = freshAddress()
      const retryAfters: number[] = []
      for (let i = 0; i < 25; i++) {
        const res = await login(h, { email: victim.email, password: 'wrong wrong wrong', address })
        if (res.statusCode === 429) {
          retryAfters.push(Number(res.headers['retry-after']))
          h.clock.advance(Number(res.headers['retry-after']) * 1000 + 1)
        }
      }
      // Spread-out failures (each after a quiet 16 minutes) never lock.
      const patient = await h.createAdmin({ role: 'viewer' })
      const spreadStatuses: number[] = []
      for (let i = 0; i < 8; i++) {
        h.clock.advance(16 * MINUTE)
        spreadStatuses.push(
          (await login(h, { email: patient.email, password: 'wrong wrong', address })).statusCode,
        )
      }
      const tooLong = retryAfters.filter((s) => s > 3600 || s < 1)
      const lockedSpread = spreadStatuses.filter((s) => s !== 401)
      recordReliability({
        area: 'admin-auth',
        check: `${dialect}: repeated lockouts (doubling backoff) and failures spread over more than the 15-minute window`,
        cases: retryAfters.length + spreadStatuses.length,
        failures: tooLong.length + lockedSpread.length,
        expectation:
          'retry-after grows but never exceeds 3600 s; failures 16 minutes apart are never locked',
      })
      expect(tooLong).toEqual([])
      expect(Math.max(...retryAfters)).toBe(3600)
      expect(lockedSpread).toEqual([])
    })

    it('locks one address spraying many accounts, without locking those accounts elsewhere', async () => {
      const sprayer = freshAddress()
      for (let i = 0; i < 20; i++)
        await login(h, {
          email: `spray-${i}@example.com`,
          password: 'spray spray',
          address: sprayer,
        })
      const fromSprayer = await login(h, {
        email: h.owner.email,
        password: h.owner.password,
        address: sprayer,
      })
      const fromElsewhere = await login(h, {
        email: h.owner.email,
        password: h.owner.password,
        address: freshAddress(),
      })
      const held = fromSprayer.statusCode === 429 && fromElsewhere.statusCode === 200
      recordReliability({
        area: 'admin-auth',
        check: `${dialect}: password spraying: 20 accounts from one address, then a real login from it and from another address`,
        cases: 22,
        failures: held ? 0 : 1,
        expectation: 'the spraying address gets 429; the same account logs in from another address',
      })
      expect(fromSprayer.statusCode).toBe(429)
      expect(fromElsewhere.statusCode).toBe(200)
    })

    it('does not let concurrent guesses slip past the lockout', async () => {
      const victim = await h.createAdmin({ role: 'owner' })
      const guesses = 20
      const responses = await Promise.all(
        Array.from({ length: guesses }, (_, i) =>
          login(h, {
            email: victim.email,
            password: `guess number ${i} here`,
            address: freshAddress(),
          }),
        ),
      )
      const evaluated = responses.filter((r) => r.statusCode === 401).length
      const other = responses.filter((r) => r.statusCode !== 401 && r.statusCode !== 429)
      recordReliability({
        area: 'admin-auth',
        check: `${dialect}: ${guesses} concurrent wrong-password logins for one account from ${guesses} addresses`,
        cases: guesses,
        failures: Math.max(0, evaluated - 5) + other.length,
        expectation:
          'at most the 5 free failures are checked against the password; every other guess gets 429',
        breakdown: { 'checked (401)': evaluated, 'refused (429)': guesses - evaluated },
      })
      expect(other).toEqual([])
      expect(evaluated).toBeLessThanOrEqual(5)
    })
  })

  // Sessions and cookies do not depend on the dialect: once, on the first one.
  describe.runIf(dialect === testDialects()[0])(
    `${dialect}: admin sessions: fixation, logout, cookie flags`,
    () => {
      let h: AdminHarness
      beforeAll(async () => {
        h = await createAdminHarness(dialect)
      })
      afterAll(() => h.close())

      it('never adopts a session ID presented before sign-in, and issues a new one each time', async () => {
        const admin = await h.createAdmin({ role: 'admin' })
        const address = freshAddress()
        const planted = [
          'A'.repeat(43), // attacker-chosen, well-formed
          'attacker-chosen-session-id-0123456789',
        ]
        // A real session of the same admin, presented at the next login.
        const earlier = sessionCookieOf(await login(h, { ...admin, address }))!
        const problems: string[] = []
        const issued = new Set<string>([earlier])
        for (const presented of [...planted, earlier]) {
          const res = await login(h, { ...admin, address, cookie: presented })
          const fresh = sessionCookieOf(res)
          if (res.statusCode !== 200 || fresh === null) {
            problems.push(`login with ${presented.slice(0, 6)}…: ${res.statusCode}`)
            continue
          }
          if (fresh === presented || issued.has(fresh)) problems.push('a session ID was reused')
          issued.add(fresh)
        }
        for (const presented of planted) {
          const me = await h.request({
            method: 'GET',
            url: '/auth/me',
            headers: { cookie: `ferry_admin_session=${presented}` },
          })
          if (me.statusCode !== 401) problems.push(`planted ID authenticates: ${me.statusCode}`)
        }
        recordReliability({
          area: 'admin-auth',
          check: `${dialect}: session fixation: logins presenting a planted or an earlier session ID`,
          cases: planted.length * 2 + 1,
          failures: problems.length,
          expectation:
            'each login issues a new random session ID; a planted ID never authenticates (401)',
        })
        expect(problems).toEqual([])
      })

      it('ends the session server-side at logout: a kept copy of the cookie stops working', async () => {
        const admin = await h.createAdmin({ role: 'admin' })
        const session = await h.login(admin)
        const rowsBefore = await h.db
          .selectFrom('admin_sessions')
          .select('session_id')
          .where('admin_id', '=', admin.adminId)
          .execute()
        const out = await h.request({ method: 'POST', url: '/auth/logout', as: session })
        const cleared = String(out.headers['set-cookie'])
        // The attacker (or a stale tab) replays the old cookie and CSRF token.
        const replays = await Promise.all([
          h.request({ method: 'GET', url: '/auth/me', as: session }),
          h.request({ method: 'GET', url: '/orgs', as: session }),
          h.request({ method: 'POST', url: '/orgs', as: session, body: { name: 'After logout' } }),
        ])
        const rowsAfter = await h.db
          .selectFrom('admin_sessions')
          .select('session_id')
          .where('admin_id', '=', admin.adminId)
          .execute()
        const problems: string[] = []
        if (out.statusCode !== 200) problems.push(`logout ${out.statusCode}`)
        if (!/ferry_admin_session=;/.test(cleared) || !/Max-Age=0/.test(cleared))
          problems.push('cookie not cleared')
        for (const r of replays) if (r.statusCode !== 401) problems.push(`replay ${r.statusCode}`)
        if (rowsBefore.length !== 1 || rowsAfter.length !== 0) problems.push('session row remains')
        recordReliability({
          area: 'admin-auth',
          check: `${dialect}: requests replaying a session cookie after logout`,
          cases: replays.length,
          failures: problems.length,
          expectation: '401 for each; the session row is deleted and the cookie cleared',
        })
        expect(problems).toEqual([])
      })

      it('sets HttpOnly, SameSite=Strict, Path=/admin/v1, and Secure exactly when the request was HTTPS', async () => {
        const admin = await h.createAdmin({ role: 'viewer' })
        const proxied = buildTestApp({
          db: h.db,
          clock: h.clock,
          server: { trustedProxies: ['127.0.0.1'] },
        })
        const untrusting = buildTestApp({ db: h.db, clock: h.clock })
        const cases = [
          { name: 'plain http', app: h.app, headers: {}, secure: false },
          {
            name: 'https via a trusted proxy',
            app: proxied.app,
            headers: { 'x-forwarded-proto': 'https' },
            secure: true,
          },
          {
            name: 'x-forwarded-proto from an untrusted client',
            app: untrusting.app,
            headers: { 'x-forwarded-proto': 'https' },
            secure: false,
          },
        ]
        const problems: string[] = []
        try {
          for (const c of cases) {
            const res = await c.app.inject({
              method: 'POST',
              url: '/admin/v1/auth/login',
              remoteAddress: '127.0.0.1',
              headers: c.headers,
              payload: { email: admin.email, password: admin.password },
            })
            const cookie = String(res.headers['set-cookie'])
            const attrs = cookie.split(';').map((a) => a.trim())
            const logout = await c.app.inject({
              method: 'POST',
              url: '/admin/v1/auth/logout',
              remoteAddress: '127.0.0.1',
              headers: {
                ...c.headers,
                cookie: `ferry_admin_session=${sessionCookieOf(res)}`,
                'x-csrf-token': res.json<{ csrfToken: string }>().csrfToken,
              },
            })
            const clearAttrs = String(logout.headers['set-cookie'])
              .split(';')
              .map((a) => a.trim())
            for (const [label, list] of [
              ['login', attrs],
              ['logout', clearAttrs],
            ] as const) {
              for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/admin/v1'])
                if (!list.includes(flag)) problems.push(`${c.name} ${label}: no ${flag}`)
              if (list.includes('Secure') !== c.secure)
                problems.push(`${c.name} ${label}: Secure ${!c.secure}`)
              if (list.some((a) => /^Domain=/i.test(a))) problems.push(`${c.name}: Domain set`)
            }
            // The session token is in the cookie only, never readable from the body.
            if (res.body.includes(sessionCookieOf(res) ?? '\0')) problems.push('token in body')
          }
        } finally {
          await proxied.app.close()
          await untrusting.app.close()
        }
        recordReliability({
          area: 'admin-auth',
          check: `${dialect}: session cookie flags at login and logout over http, https via a trusted proxy, and a spoofed x-forwarded-proto`,
          cases: cases.length * 2,
          failures: problems.length,
          expectation:
            'HttpOnly, SameSite=Strict, Path=/admin/v1, no Domain; Secure only when the request really came over HTTPS',
        })
        expect(problems).toEqual([])
      })
    },
  )
}
