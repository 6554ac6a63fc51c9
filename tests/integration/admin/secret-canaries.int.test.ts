import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { currentTotpCode } from '../../../src/admins/totp.js'
import { newId } from '../../../src/lib/ids.js'
import { dumpAllTables } from '../../support/dump-tables.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { testDialects } from '../../support/test-db.js'

for (const dialect of testDialects()) {
  describe(`${dialect}: no admin secret at rest, in the audit log, in a response or a log line`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('finds none of the planted canaries anywhere they must not be', async () => {
      const canary = (name: string) => `CANARY-${name}-${newId('c', h.clock.nowMs()).slice(2)}`
      const passwords = {
        created: canary('created-password'),
        wrongAtLogin: canary('wrong-password'),
        typedAsEmail: canary('typed-as-email'),
        changed: canary('changed-password'),
        reset: canary('reset-password'),
        wrongCurrent: canary('wrong-current'),
      }
      /** Responses allowed to show a secret once: token creation, TOTP enrolment. */
      const oneTimeBodies: string[] = []
      const bodies: string[] = []
      const sessionTokens: string[] = []
      const call = async (spec: Parameters<AdminHarness['request']>[0], oneTime = false) => {
        const res = await h.request(spec)
        ;(oneTime ? oneTimeBodies : bodies).push(res.body)
        const cookie = /ferry_admin_session=([^;]+)/.exec(
          String(res.headers['set-cookie'] ?? ''),
        )?.[1]
        if (cookie) sessionTokens.push(cookie)
        return res
      }
      const owner = { token: h.ownerToken }

      // Create an admin with a canary password, log in right and wrong, with a password in the email field.
      const email = `canary-${Date.now()}@example.com`
      const created = await call({
        method: 'POST',
        url: '/admins',
        as: owner,
        body: {
          email,
          role: 'admin',
          password: passwords.created,
          reason: { code: 'canary_test' },
        },
      })
      const adminId = created.json<{ adminId: string }>().adminId
      await call({
        method: 'POST',
        url: '/auth/login',
        body: { email, password: passwords.wrongAtLogin },
      })
      await call({
        method: 'POST',
        url: '/auth/login',
        body: { email: passwords.typedAsEmail, password: passwords.created },
      })
      await call({
        method: 'POST',
        url: '/auth/login',
        body: { email, password: passwords.created },
      })
      const session = await h.login({ email, password: passwords.created })
      sessionTokens.push(session.cookie)
      bodies.push(session.res.body)

      // Self-service password change (wrong, then right) and an owner's reset.
      await call({
        method: 'POST',
        url: '/auth/password',
        as: session,
        body: { currentPassword: passwords.wrongCurrent, newPassword: passwords.changed },
      })
      await call({
        method: 'POST',
        url: '/auth/password',
        as: session,
        body: { currentPassword: passwords.created, newPassword: passwords.changed },
      })
      await call({
        method: 'POST',
        url: `/admins/${adminId}/password-reset`,
        as: owner,
        body: { newPassword: passwords.reset, reason: { code: 'canary_test' } },
      })
      const fresh = await h.login({ email, password: passwords.reset })
      sessionTokens.push(fresh.cookie)

      // A token, shown once, then used, planted in a reason note and a user agent, then revoked.
      const tokenRes = await call(
        {
          method: 'POST',
          url: '/admin-tokens',
          as: fresh,
          body: { name: 'canary token', reason: { code: 'canary_test' } },
        },
        true,
      )
      const { token, tokenId } = tokenRes.json<{ token: string; tokenId: string }>()
      await call({
        method: 'GET',
        url: '/auth/me',
        as: { token },
        headers: { 'user-agent': `curl/8 ${token}` },
      })
      await call({ method: 'GET', url: '/admin-tokens', as: { token } })
      await call({
        method: 'PATCH',
        url: `/admins/${adminId}`,
        as: { token },
        headers: { 'user-agent': `automation ${token}` },
        body: {
          displayName: 'Canary',
          reason: { code: 'canary_test', note: `pasted by mistake: ${token}` },
        },
      })
      await call({ method: 'DELETE', url: `/admin-tokens/${tokenId}`, as: fresh })
      await call({ method: 'GET', url: '/auth/me', as: { token } })

      // TOTP: secret shown once at enrolment, then confirmed, used at login, disabled.
      const enrol = await call({ method: 'POST', url: '/auth/totp/enroll', as: fresh }, true)
      const { secret } = enrol.json<{ secret: string }>()
      await call({
        method: 'POST',
        url: '/auth/totp/confirm',
        as: fresh,
        body: { code: currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }) },
      })
      h.clock.advance(30_000)
      const mfaLogin = await h.login(
        { email, password: passwords.reset },
        currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }),
      )
      sessionTokens.push(mfaLogin.cookie)
      bodies.push(mfaLogin.res.body)
      h.clock.advance(30_000)
      await call({
        method: 'POST',
        url: '/auth/totp/disable',
        as: mfaLogin,
        body: {
          code: currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }),
          reason: { code: 'canary_test' },
        },
      })
      await call({ method: 'GET', url: '/admins', as: owner })
      await call({ method: 'GET', url: `/admins/${adminId}`, as: owner })
      await call({
        method: 'POST',
        url: '/support-sessions',
        as: owner,
        body: {
          organizationId: await h.createOrganization(),
          durationMinutes: 5,
          reason: { code: 'canary_test', note: 'customer asked' },
        },
      })
      await call({ method: 'POST', url: '/auth/logout', as: fresh })

      const tables = await dumpAllTables(h.db)
      const hashes = (await h.db.selectFrom('admin_users').select('password_hash').execute()).map(
        (r) => r.password_hash,
      )
      const storedTokenHashes = (
        await h.db.selectFrom('admin_tokens').select('token_hash').execute()
      ).map((r) => r.token_hash)
      const logs = h.logs.lines.join('\n')
      const auditRows = tables.audit_events ?? ''
      expect(auditRows.length).toBeGreaterThan(1000)
      expect(logs.length).toBeGreaterThan(1000)

      const neverAnywhere = [
        ...Object.values(passwords),
        token,
        token.slice(-64),
        secret,
        ...sessionTokens,
      ]
      for (const value of neverAnywhere) {
        for (const [table, dump] of Object.entries(tables))
          expect(dump, `${table} holds a secret`).not.toContain(value)
        expect(logs, 'a log line holds a secret').not.toContain(value)
        for (const body of bodies) expect(body, 'a response holds a secret').not.toContain(value)
      }
      for (const value of [...hashes, ...storedTokenHashes]) {
        expect(auditRows).not.toContain(value)
        expect(logs).not.toContain(value)
        for (const body of [...bodies, ...oneTimeBodies]) expect(body).not.toContain(value)
      }
      // The one-time displays show only their own secret.
      expect(oneTimeBodies.filter((b) => b.includes(token))).toHaveLength(1)
      expect(oneTimeBodies.filter((b) => b.includes(secret))).toHaveLength(1)
    })
  })
}
