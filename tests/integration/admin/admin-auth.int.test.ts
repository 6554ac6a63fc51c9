import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { currentTotpCode } from '../../../src/admins/totp.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

const MINUTE = 60_000
const creds = (admin: { email: string; password: string }) => ({
  email: admin.email,
  password: admin.password,
})

for (const dialect of testDialects()) {
  describe(`${dialect}: admin login and sessions`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('logs in with email and password, sets a hardened cookie, and serves /auth/me', async () => {
      const session = await h.login({
        email: h.owner.email.toUpperCase(),
        password: h.owner.password,
      })
      expect(session.setCookie).toContain('HttpOnly')
      expect(session.setCookie).toContain('SameSite=Strict')
      expect(session.setCookie).toContain('Path=/admin/v1')
      expect(session.setCookie).not.toContain('Secure')
      expect(session.body).not.toHaveProperty('sessionToken')
      const me = await h.request({ method: 'GET', url: '/auth/me', as: session })
      expect(me.statusCode).toBe(200)
      expect(me.json()).toMatchObject({
        admin: { adminId: h.owner.adminId, role: 'owner' },
        role: 'owner',
        authenticatedWith: 'session',
        csrfToken: session.csrfToken,
      })
      expect(me.json<{ permissions: string[] }>().permissions).toContain('settings.write')
      const events = await h.auditEvents()
      expect(events.at(-1)).toMatchObject({
        action: 'admin.login',
        actor_type: 'user',
        actor_id: h.owner.adminId,
        actor_role: 'owner',
        target_type: 'admin_session',
      })
    })

    it('marks the cookie Secure when the request came over HTTPS through a trusted proxy', async () => {
      const { buildTestApp } = await import('../../support/test-app.js')
      const { app } = buildTestApp({
        db: h.db,
        clock: h.clock,
        server: { trustedProxies: ['127.0.0.1'] },
      })
      const res = await app.inject({
        method: 'POST',
        url: '/admin/v1/auth/login',
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
        payload: { email: h.owner.email, password: h.owner.password },
      })
      expect(res.statusCode).toBe(200)
      expect(String(res.headers['set-cookie'])).toContain('Secure')
      const events = await h.auditEvents()
      expect(events.at(-1)).toMatchObject({ action: 'admin.login', actor_ip: '203.0.113.9' })
      await app.close()
    })

    it('answers a wrong password and an unknown email identically, and records both', async () => {
      const before = (await h.auditEvents()).length
      const wrong = await h.request({
        method: 'POST',
        url: '/auth/login',
        body: { email: h.owner.email, password: 'not the password at all' },
      })
      const unknown = await h.request({
        method: 'POST',
        url: '/auth/login',
        body: { email: 'nobody@example.com', password: 'not the password at all' },
      })
      expect(wrong.statusCode).toBe(401)
      expect(unknown.statusCode).toBe(401)
      expect(wrong.json()).toEqual(unknown.json())
      expectOpenAIError(wrong.json(), { code: 'invalid_credentials' })
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => [e.action, e.outcome])).toEqual([
        ['admin.login_failed', 'failure'],
        ['admin.login_failed', 'failure'],
      ])
      expect(events[0]!.target_id).toBe(h.owner.adminId)
      expect(events[1]!.target_id).toBeNull()
      expect(
        JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      ).not.toContain('nobody@example.com')
    })

    it('locks an account after repeated failures (429 with retry-after) and unlocks with time', async () => {
      const victim = await h.createAdmin({ role: 'viewer' })
      const attempt = (password: string) =>
        h.request({
          method: 'POST',
          url: '/auth/login',
          body: { email: victim.email, password },
          headers: { 'x-forwarded-for': '198.51.100.1' },
        })
      for (let i = 0; i < 5; i++)
        expect((await attempt('wrong password here')).statusCode).toBe(401)
      const locked = await attempt(victim.password)
      expect(locked.statusCode).toBe(429)
      expectOpenAIError(locked.json(), {
        type: 'rate_limit_error',
        code: 'too_many_login_attempts',
      })
      expect(Number(locked.headers['retry-after'])).toBe(60)
      h.clock.advance(61_000)
      expect((await attempt('wrong again, longer lock')).statusCode).toBe(401)
      expect((await attempt(victim.password)).statusCode).toBe(429)
      h.clock.advance(2 * MINUTE + 1000)
      expect((await attempt(victim.password)).statusCode).toBe(200)
      // Success forgets the account's failures.
      expect((await attempt('wrong once more')).statusCode).toBe(401)
      expect((await attempt(victim.password)).statusCode).toBe(200)
    })

    it('locks a client address spraying many accounts', async () => {
      const { buildTestApp } = await import('../../support/test-app.js')
      const { app } = buildTestApp({ db: h.db, clock: h.clock })
      const attempt = (email: string, password: string) =>
        app.inject({
          method: 'POST',
          url: '/admin/v1/auth/login',
          remoteAddress: '192.0.2.77',
          payload: { email, password },
        })
      for (let i = 0; i < 20; i++) {
        expect((await attempt(`spray-${i}@example.com`, 'guess guess guess')).statusCode).toBe(401)
      }
      expect((await attempt(h.owner.email, h.owner.password)).statusCode).toBe(429)
      h.clock.advance(61_000)
      expect((await attempt(h.owner.email, h.owner.password)).statusCode).toBe(200)
      await app.close()
    })

    it('ends a session after the idle timeout and after the absolute lifetime', async () => {
      const idle = await h.login(h.owner)
      h.clock.advance(29 * MINUTE)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: idle })).statusCode).toBe(200)
      h.clock.advance(29 * MINUTE)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: idle })).statusCode).toBe(200)
      h.clock.advance(31 * MINUTE)
      const expired = await h.request({ method: 'GET', url: '/auth/me', as: idle })
      expect(expired.statusCode).toBe(401)
      expectOpenAIError(expired.json(), { code: 'session_expired' })
      // Gone for good: the row was deleted.
      expectOpenAIError((await h.request({ method: 'GET', url: '/auth/me', as: idle })).json(), {
        code: 'invalid_authentication',
      })

      const busy = await h.login(h.owner)
      for (let elapsed = 0; elapsed < 12 * 60; elapsed += 20) {
        h.clock.advance(20 * MINUTE)
        const res = await h.request({ method: 'GET', url: '/auth/me', as: busy })
        if (elapsed + 20 < 12 * 60) expect(res.statusCode).toBe(200)
        else expectOpenAIError(res.json(), { code: 'session_expired' })
      }
    })

    it('requires the CSRF token on cookie-authenticated state changes, not on GET or bearer', async () => {
      const session = await h.login(h.owner)
      const body = { name: 'csrf probe' }
      const missing = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: { ...session, omitCsrf: true },
        body: { ...body, reason: { code: 'csrf_probe' } },
      })
      expect(missing.statusCode).toBe(403)
      expectOpenAIError(missing.json(), { code: 'csrf_token_invalid' })
      const wrong = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: { cookie: session.cookie, csrfToken: 'x'.repeat(43) },
        body: { ...body, reason: { code: 'csrf_probe' } },
      })
      expectOpenAIError(wrong.json(), { code: 'csrf_token_invalid' })
      expect(
        (await h.request({ method: 'GET', url: '/auth/me', as: { ...session, omitCsrf: true } }))
          .statusCode,
      ).toBe(200)
      const ok = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: session,
        body: { ...body, reason: { code: 'csrf_probe' } },
      })
      expect(ok.statusCode).toBe(201)
      const bearer = await h.request({
        method: 'PATCH',
        url: `/admins/${h.owner.adminId}`,
        as: { token: h.ownerToken },
        body: { displayName: 'Owner via token' },
      })
      expect(bearer.statusCode).toBe(200)
    })

    it('answers 401 in OpenAI shape without credentials or with a bad token', async () => {
      const none = await h.request({ method: 'GET', url: '/admins' })
      expect(none.statusCode).toBe(401)
      expectOpenAIError(none.json(), { code: 'authentication_required' })
      const bad = await h.request({ method: 'GET', url: '/admins', as: { token: 'fadm_nope' } })
      expect(bad.statusCode).toBe(401)
      expectOpenAIError(bad.json(), { code: 'invalid_authentication' })
      const forged = h.ownerToken.slice(0, -4) + '0000'
      expect(
        (await h.request({ method: 'GET', url: '/admins', as: { token: forged } })).statusCode,
      ).toBe(401)
    })

    it('logs out: the session stops working and the cookie is cleared', async () => {
      const session = await h.login(h.owner)
      const out = await h.request({ method: 'POST', url: '/auth/logout', as: session })
      expect(out.statusCode).toBe(200)
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0')
      expect((await h.request({ method: 'GET', url: '/auth/me', as: session })).statusCode).toBe(
        401,
      )
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.logout',
        actor_id: h.owner.adminId,
      })
    })

    it('ends every session of an admin who is disabled, and refuses their login', async () => {
      const admin = await h.createAdmin({ role: 'admin' })
      const session = await h.login(admin)
      const res = await h.request({
        method: 'POST',
        url: `/admins/${admin.adminId}/disable`,
        as: { token: h.ownerToken },
        body: { reason: { code: 'offboarding' } },
      })
      expect(res.statusCode).toBe(200)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: session })).statusCode).toBe(
        401,
      )
      const again = await h.request({ method: 'POST', url: '/auth/login', body: creds(admin) })
      expectOpenAIError(again.json(), { code: 'invalid_credentials' })
    })
  })

  describe(`${dialect}: admin API tokens`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('shows a new token once, lists it without the secret, and revokes it at once', async () => {
      const session = await h.login(h.owner)
      const created = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: session,
        body: { name: 'ci deploys', expiresInDays: 90, reason: { code: 'ci_automation' } },
      })
      expect(created.statusCode).toBe(201)
      const { token, tokenId, label, expiresAt } = created.json<{
        token: string
        tokenId: string
        label: string
        expiresAt: string
      }>()
      expect(token).toMatch(/^fadm_[0-9a-z]{26}_[0-9a-f]{64}$/)
      expect(label).toMatch(/^fadm_[0-9a-z]{8}…[0-9a-f]{4}$/)
      expect(expiresAt).toBe(new Date(h.clock.nowMs() + 90 * 24 * 3600_000).toISOString())
      const me = await h.request({ method: 'GET', url: '/auth/me', as: { token } })
      expect(me.json()).toMatchObject({ authenticatedWith: 'token', csrfToken: null })
      const list = await h.request({ method: 'GET', url: '/admin-tokens', as: { token } })
      expect(list.body).not.toContain(token.slice(-64))
      expect(list.json<{ data: { tokenId: string }[] }>().data.map((t) => t.tokenId)).toContain(
        tokenId,
      )
      const revoked = await h.request({
        method: 'DELETE',
        url: `/admin-tokens/${tokenId}`,
        as: session,
      })
      expect(revoked.statusCode).toBe(200)
      expect(revoked.json()).toMatchObject({ status: 'revoked' })
      const after = await h.request({ method: 'GET', url: '/auth/me', as: { token } })
      expect(after.statusCode).toBe(401)
      expectOpenAIError(after.json(), { code: 'invalid_authentication' })
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.token_revoke',
        target_id: tokenId,
      })
    })

    it('stops accepting a token after its expiry', async () => {
      const session = await h.login(h.owner)
      const created = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: session,
        body: { name: 'short', expiresInDays: 1, reason: { code: 'short_lived' } },
      })
      const { token } = created.json<{ token: string }>()
      expect((await h.request({ method: 'GET', url: '/auth/me', as: { token } })).statusCode).toBe(
        200,
      )
      h.clock.advance(24 * 3600_000)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: { token } })).statusCode).toBe(
        401,
      )
    })

    it('narrows a token to listed permissions and refuses to widen beyond its creator', async () => {
      const auditor = await h.createAdmin({ role: 'security_auditor' })
      const session = await h.login(auditor)
      const narrowed = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: session,
        body: { name: 'audit reader', permissions: ['audit.read'], reason: { code: 'siem_pull' } },
      })
      expect(narrowed.statusCode).toBe(201)
      const token = narrowed.json<{ token: string }>().token
      const me = await h.request({ method: 'GET', url: '/auth/me', as: { token } })
      expect(me.json<{ permissions: string[] }>().permissions).toEqual(['audit.read'])
      expect((await h.request({ method: 'GET', url: '/admins', as: { token } })).statusCode).toBe(
        403,
      )
      expect((await h.request({ method: 'GET', url: '/admins', as: session })).statusCode).toBe(200)
      const widened = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: session,
        body: { name: 'too much', permissions: ['admins.write'], reason: { code: 'siem_pull' } },
      })
      expect(widened.statusCode).toBe(403)
      expectOpenAIError(widened.json(), { code: 'permission_denied' })
    })

    it('does not let a token mint tokens', async () => {
      const res = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as: { token: h.ownerToken },
        body: { name: 'child', reason: { code: 'persistence_attempt' } },
      })
      expect(res.statusCode).toBe(403)
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.access_denied',
        outcome: 'denied',
      })
    })

    it('hides other admins’ tokens from an admin without admins.write', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const viewerToken = await h.createToken(viewer)
      const ownerTokens = await h.services.tokens.listTokens({ adminId: h.owner.adminId })
      const res = await h.request({
        method: 'DELETE',
        url: `/admin-tokens/${ownerTokens[0]!.tokenId}`,
        as: { token: viewerToken },
      })
      expect(res.statusCode).toBe(404)
      const all = await h.request({
        method: 'GET',
        url: '/admin-tokens?scope=all',
        as: { token: viewerToken },
      })
      expect(all.statusCode).toBe(403)
    })
  })

  describe(`${dialect}: TOTP second factor`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('enrols with a confirm step, then requires the code at login and refuses a replay', async () => {
      const admin = await h.createAdmin({ role: 'admin' })
      const session = await h.login(admin)
      const enrol = await h.request({ method: 'POST', url: '/auth/totp/enroll', as: session })
      expect(enrol.statusCode).toBe(200)
      const { secret, otpauthUri } = enrol.json<{ secret: string; otpauthUri: string }>()
      expect(otpauthUri).toContain('otpauth://totp/')
      // Not active until confirmed: login still needs no code.
      await h.login(admin)
      const badConfirm = await h.request({
        method: 'POST',
        url: '/auth/totp/confirm',
        as: session,
        body: { code: '000000' },
      })
      expectOpenAIError(badConfirm.json(), { code: 'invalid_totp_code' })
      const code = currentTotpCode({ secret, nowMs: h.clock.nowMs() })
      const confirm = await h.request({
        method: 'POST',
        url: '/auth/totp/confirm',
        as: session,
        body: { code },
      })
      expect(confirm.statusCode).toBe(200)
      const me = await h.request({ method: 'GET', url: '/auth/me', as: session })
      expect(me.json()).toMatchObject({ admin: { mfaEnabled: true } })
      expect(me.body).not.toContain(secret)

      const noCode = await h.request({ method: 'POST', url: '/auth/login', body: creds(admin) })
      expect(noCode.statusCode).toBe(401)
      expectOpenAIError(noCode.json(), { code: 'totp_required' })
      // The enrolment code was consumed: the same step is refused.
      const replay = await h.request({
        method: 'POST',
        url: '/auth/login',
        body: { ...creds(admin), totpCode: code },
      })
      expectOpenAIError(replay.json(), { code: 'invalid_totp_code' })
      h.clock.advance(30_000)
      const fresh = currentTotpCode({ secret, nowMs: h.clock.nowMs() })
      await h.login(admin, fresh)
      const again = await h.request({
        method: 'POST',
        url: '/auth/login',
        body: { ...creds(admin), totpCode: fresh },
      })
      expectOpenAIError(again.json(), { code: 'invalid_totp_code' })

      const row = await h.db
        .selectFrom('admin_users')
        .selectAll()
        .where('admin_id', '=', admin.adminId)
        .executeTakeFirstOrThrow()
      expect(row.totp_secret_sealed).not.toContain(secret)
      expect(row.totp_secret_sealed).toMatch(/^v1\./)
    })

    it('lets an owner make MFA mandatory: un-enrolled admins may only enrol', async () => {
      const admin = await h.createAdmin({ role: 'admin' })
      const set = await h.request({
        method: 'PUT',
        url: '/settings/security/mfa-required',
        as: { token: h.ownerToken },
        body: { required: true, reason: { code: 'security_policy' } },
      })
      expect(set.statusCode).toBe(200)
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.mfa_requirement_update',
        target_type: 'settings',
        reason_code: 'security_policy',
      })
      const session = await h.login(admin)
      expect(session.body.mfaEnrollmentRequired).toBe(true)
      const blocked = await h.request({ method: 'GET', url: '/admins', as: session })
      expect(blocked.statusCode).toBe(403)
      expectOpenAIError(blocked.json(), { code: 'mfa_enrollment_required' })
      expect((await h.request({ method: 'GET', url: '/auth/me', as: session })).statusCode).toBe(
        200,
      )
      const { secret } = (
        await h.request({ method: 'POST', url: '/auth/totp/enroll', as: session })
      ).json<{ secret: string }>()
      h.clock.advance(30_000)
      const code = currentTotpCode({ secret, nowMs: h.clock.nowMs() })
      expect(
        (
          await h.request({
            method: 'POST',
            url: '/auth/totp/confirm',
            as: session,
            body: { code },
          })
        ).statusCode,
      ).toBe(200)
      expect((await h.request({ method: 'GET', url: '/admins', as: session })).statusCode).toBe(200)

      // An admin (not owner) may not change the requirement back.
      const adminToken = await h.createToken(admin)
      const denied = await h.request({
        method: 'PUT',
        url: '/settings/security/mfa-required',
        as: { token: adminToken },
        body: { required: false, reason: { code: 'security_policy' } },
      })
      expect(denied.statusCode).toBe(403)
      await h.request({
        method: 'PUT',
        url: '/settings/security/mfa-required',
        as: { token: h.ownerToken },
        body: { required: false, reason: { code: 'security_policy' } },
      })
    })

    it('disables TOTP with a current code and a reason; an admin can reset a lost device', async () => {
      const admin = await h.createAdmin({ role: 'viewer' })
      const session = await h.login(admin)
      const { secret } = (
        await h.request({ method: 'POST', url: '/auth/totp/enroll', as: session })
      ).json<{ secret: string }>()
      h.clock.advance(30_000)
      await h.request({
        method: 'POST',
        url: '/auth/totp/confirm',
        as: session,
        body: { code: currentTotpCode({ secret, nowMs: h.clock.nowMs() }) },
      })
      h.clock.advance(30_000)
      const code = currentTotpCode({ secret, nowMs: h.clock.nowMs() })
      const noReason = await h.request({
        method: 'POST',
        url: '/auth/totp/disable',
        as: session,
        body: { code },
      })
      expectOpenAIError(noReason.json(), { code: 'reason_required' })
      const off = await h.request({
        method: 'POST',
        url: '/auth/totp/disable',
        as: session,
        body: { code, reason: { code: 'new_phone' } },
      })
      expect(off.statusCode).toBe(200)
      await h.login(admin)
      const reset = await h.request({
        method: 'DELETE',
        url: `/admins/${admin.adminId}/totp`,
        as: { token: h.ownerToken },
        headers: { 'x-ferry-reason-code': 'lost_device' },
      })
      expectOpenAIError(reset.json(), { code: 'totp_not_enrolled' })
    })
  })
}
