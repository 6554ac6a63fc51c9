import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLE_PERMISSIONS } from '../../../src/admins/index.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

for (const dialect of testDialects()) {
  describe(`${dialect}: admin roles, grants and permission checks`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('gives each role exactly its registry permissions', async () => {
      for (const role of ['admin', 'billing', 'support', 'security_auditor', 'viewer'] as const) {
        const admin = await h.createAdmin({ role })
        const me = await h.request({
          method: 'GET',
          url: '/auth/me',
          as: { token: await h.createToken(admin) },
        })
        expect(me.json<{ permissions: string[] }>().permissions.sort()).toEqual(
          [...ROLE_PERMISSIONS[role]].sort(),
        )
      }
    })

    it('answers 403 permission_denied without the permission, and records it only for high-risk actions', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const as = { token: await h.createToken(viewer) }
      const before = (await h.auditEvents()).length
      const list = await h.request({ method: 'GET', url: '/admins', as })
      expect(list.statusCode).toBe(403)
      expectOpenAIError(list.json(), { type: 'invalid_request_error', code: 'permission_denied' })
      expect((await h.auditEvents()).length).toBe(before)

      const create = await h.request({
        method: 'POST',
        url: '/admins',
        as,
        body: {
          email: 'x@example.com',
          role: 'owner',
          password: 'a long enough password',
          reason: { code: 'sneaky' },
        },
      })
      expect(create.statusCode).toBe(403)
      const events = (await h.auditEvents()).slice(before)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        action: 'admin.access_denied',
        outcome: 'denied',
        actor_type: 'api_token',
        actor_role: 'viewer',
        reason_code: null,
      })
      expect(JSON.parse(events[0]!.evidence_json!)).toMatchObject({
        attemptedAction: 'admin.create',
        requiredPermission: 'admins.write',
        route: '/admin/v1/admins',
      })
      expect(await h.services.users.findAdminByEmail('x@example.com')).toBeUndefined()
    })

    it('refuses a high-risk change without a reason (400 reason_required) and changes nothing', async () => {
      const before = (await h.auditEvents()).length
      const res = await h.request({
        method: 'POST',
        url: '/admins',
        as: { token: h.ownerToken },
        body: { email: 'noreason@example.com', role: 'viewer', password: 'a long enough password' },
      })
      expect(res.statusCode).toBe(400)
      expectOpenAIError(res.json(), { type: 'invalid_request_error', code: 'reason_required' })
      expect((await h.auditEvents()).length).toBe(before)
      expect(await h.services.users.findAdminByEmail('noreason@example.com')).toBeUndefined()
      const bad = await h.request({
        method: 'POST',
        url: '/admins',
        as: { token: h.ownerToken },
        body: {
          email: 'noreason@example.com',
          role: 'viewer',
          password: 'a long enough password',
          reason: { code: 'Not A Code' },
        },
      })
      expectOpenAIError(bad.json(), { code: 'invalid_reason' })
    })

    it('takes the reason from headers too, and stores code and note on the event', async () => {
      const target = await h.createAdmin({ role: 'viewer' })
      const res = await h.request({
        method: 'POST',
        url: `/admins/${target.adminId}/disable`,
        as: { token: h.ownerToken },
        headers: {
          'x-ferry-reason-code': 'offboarding',
          'x-ferry-reason-note': 'left the company',
        },
      })
      expect(res.statusCode).toBe(200)
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.disable',
        reason_code: 'offboarding',
        reason_note: 'left the company',
        target_id: target.adminId,
      })
    })

    it('rejects unknown fields with a 400 naming the field', async () => {
      const res = await h.request({
        method: 'PATCH',
        url: `/admins/${h.owner.adminId}`,
        as: { token: h.ownerToken },
        body: { displayName: 'x', isSuperuser: true },
      })
      expect(res.statusCode).toBe(400)
      expectOpenAIError(res.json(), { type: 'invalid_request_error' })
      expect(res.json<{ error: { param: string } }>().error.param).toBe('isSuperuser')
      const query = await h.request({
        method: 'GET',
        url: '/admins?limit=5',
        as: { token: h.ownerToken },
      })
      expect(query.json<{ error: { param: string } }>().error.param).toBe('limit')
      const param = await h.request({
        method: 'GET',
        url: '/admins/not-an-id',
        as: { token: h.ownerToken },
      })
      expect(param.json<{ error: { param: string } }>().error.param).toBe('adminId')
    })

    it('grants and revokes permissions on top of the role', async () => {
      const support = await h.createAdmin({ role: 'support' })
      const token = await h.createToken(support)
      const as = { token: h.ownerToken }
      expect((await h.request({ method: 'GET', url: '/admins', as: { token } })).statusCode).toBe(
        403,
      )
      const grant = await h.request({
        method: 'POST',
        url: `/admins/${support.adminId}/grants`,
        as,
        body: { permission: 'admins.read', reason: { code: 'team_lead_duties' } },
      })
      expect(grant.statusCode).toBe(200)
      expect(grant.json()).toMatchObject({
        overrides: [{ permission: 'admins.read', effect: 'grant' }],
      })
      expect((await h.request({ method: 'GET', url: '/admins', as: { token } })).statusCode).toBe(
        200,
      )
      const grantEvent = (await h.auditEvents()).at(-1)!
      expect(grantEvent).toMatchObject({
        action: 'admin.permission_grant',
        reason_code: 'team_lead_duties',
      })
      expect(JSON.parse(grantEvent.after_json!)).toMatchObject({
        grants: ['admins.read'],
        revokedPermissions: [],
      })

      const revokeRole = await h.request({
        method: 'POST',
        url: `/admins/${support.adminId}/revocations`,
        as,
        body: { permission: 'support_sessions.start', reason: { code: 'under_review' } },
      })
      expect(revokeRole.statusCode).toBe(200)
      const me = await h.request({ method: 'GET', url: '/auth/me', as: { token } })
      expect(me.json<{ permissions: string[] }>().permissions).not.toContain(
        'support_sessions.start',
      )
      const started = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as: { token },
        body: { organizationId: 'org_1', durationMinutes: 30, reason: { code: 'ticket_1' } },
      })
      expect(started.statusCode).toBe(403)

      // Revoking a granted permission removes the grant; granting a revoked one lifts the revocation.
      await h.request({
        method: 'POST',
        url: `/admins/${support.adminId}/revocations`,
        as,
        body: { permission: 'admins.read', reason: { code: 'done' } },
      })
      const back = await h.request({
        method: 'POST',
        url: `/admins/${support.adminId}/grants`,
        as,
        body: { permission: 'support_sessions.start', reason: { code: 'review_done' } },
      })
      expect(back.json()).toMatchObject({ overrides: [] })
    })

    it('does not let an admin escalate: no owner accounts, no grants it does not hold', async () => {
      const admin = await h.createAdmin({ role: 'admin' })
      const as = { token: await h.createToken(admin) }
      const makeOwner = await h.request({
        method: 'POST',
        url: '/admins',
        as,
        body: {
          email: 'owner2@example.com',
          role: 'owner',
          password: 'a long enough password',
          reason: { code: 'x_y_z' },
        },
      })
      expect(makeOwner.statusCode).toBe(403)
      expect((await h.auditEvents()).at(-1)).toMatchObject({ action: 'admin.access_denied' })
      const promoteSelf = await h.request({
        method: 'PUT',
        url: `/admins/${admin.adminId}/role`,
        as,
        body: { role: 'owner', reason: { code: 'x_y_z' } },
      })
      expect(promoteSelf.statusCode).toBe(403)
      const grantSelf = await h.request({
        method: 'POST',
        url: `/admins/${admin.adminId}/grants`,
        as,
        body: { permission: 'settings.write', reason: { code: 'x_y_z' } },
      })
      expect(grantSelf.statusCode).toBe(403)
      const disableOwner = await h.request({
        method: 'POST',
        url: `/admins/${h.owner.adminId}/disable`,
        as,
        body: { reason: { code: 'x_y_z' } },
      })
      expect(disableOwner.statusCode).toBe(403)
    })

    it('keeps at least one active owner', async () => {
      const res = await h.request({
        method: 'PUT',
        url: `/admins/${h.owner.adminId}/role`,
        as: { token: h.ownerToken },
        body: { role: 'admin', reason: { code: 'stepping_down' } },
      })
      expect(res.statusCode).toBe(409)
      expectOpenAIError(res.json(), { code: 'last_owner' })
    })

    it('refuses a duplicate email regardless of case', async () => {
      const res = await h.request({
        method: 'POST',
        url: '/admins',
        as: { token: h.ownerToken },
        body: {
          email: h.owner.email.toUpperCase(),
          role: 'viewer',
          password: 'a long enough password',
          reason: { code: 'dup' },
        },
      })
      expect(res.statusCode).toBe(409)
      expectOpenAIError(res.json(), { code: 'admin_email_taken' })
    })

    it('enforces the password policy', async () => {
      const res = await h.request({
        method: 'POST',
        url: '/admins',
        as: { token: h.ownerToken },
        body: {
          email: 'short@example.com',
          role: 'viewer',
          password: 'short',
          reason: { code: 'new_hire' },
        },
      })
      expectOpenAIError(res.json(), { code: 'weak_password' })
    })

    it('changes one’s own password, ending the other sessions', async () => {
      const admin = await h.createAdmin({ role: 'viewer' })
      const first = await h.login(admin)
      const second = await h.login(admin)
      const wrong = await h.request({
        method: 'POST',
        url: '/auth/password',
        as: first,
        body: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
      })
      expectOpenAIError(wrong.json(), { code: 'incorrect_password' })
      const ok = await h.request({
        method: 'POST',
        url: '/auth/password',
        as: first,
        body: { currentPassword: admin.password, newPassword: 'a brand new passphrase' },
      })
      expect(ok.statusCode).toBe(200)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: first })).statusCode).toBe(200)
      expect((await h.request({ method: 'GET', url: '/auth/me', as: second })).statusCode).toBe(401)
      await h.login({ email: admin.email, password: 'a brand new passphrase' })
    })

    it('serves an OpenAPI document generated from the route catalogue', async () => {
      const res = await h.app.inject({ url: '/admin/v1/openapi.json' })
      expect(res.statusCode).toBe(200)
      const doc = res.json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>()
      expect(doc.paths['/admin/v1/admins/{adminId}/disable']?.post).toMatchObject({
        'x-ferry-permission': 'admins.write',
        'x-ferry-audit-action': 'admin.disable',
        'x-ferry-reason-required': true,
      })
    })
  })
}
