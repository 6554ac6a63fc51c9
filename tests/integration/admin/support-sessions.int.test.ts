import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUPPORT_SESSION_EXPIRY_ACTOR } from '../../../src/admins/index.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

for (const dialect of testDialects()) {
  describe(`${dialect}: support sessions`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    async function supportAgent() {
      const agent = await h.createAdmin({ role: 'support' })
      return { agent, as: await h.login(agent) }
    }

    it('requires a reason, a valid organization id and at most four hours', async () => {
      const { as } = await supportAgent()
      const organizationId = await h.createOrganization()
      const noReason = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: { organizationId, durationMinutes: 30 },
      })
      expectOpenAIError(noReason.json(), { code: 'reason_required' })
      const tooLong = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: { organizationId, durationMinutes: 241, reason: { code: 'ticket_4711' } },
      })
      expect(tooLong.statusCode).toBe(400)
      const badOrg = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: { organizationId: 'acme', durationMinutes: 30, reason: { code: 'ticket_4711' } },
      })
      expectOpenAIError(badOrg.json(), { code: 'organization_not_found' })
    })

    it('stamps every event the admin causes inside the session with its id and the impersonator', async () => {
      const { agent, as } = await supportAgent()
      const organizationId = await h.createOrganization()
      const started = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: {
          organizationId,
          durationMinutes: 60,
          reason: { code: 'ticket_4711', note: 'billing question' },
        },
      })
      expect(started.statusCode).toBe(201)
      const session = started.json<{ supportSessionId: string; expiresAt: string }>()
      expect(session.expiresAt).toBe(new Date(h.clock.nowMs() + 3600_000).toISOString())
      const startEvent = (await h.auditEvents()).at(-1)!
      expect(startEvent).toMatchObject({
        action: 'support_session.start',
        organization_id: organizationId,
        support_session_id: session.supportSessionId,
        impersonator_id: agent.adminId,
        reason_code: 'ticket_4711',
        reason_note: 'billing question',
      })

      const again = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: { organizationId, durationMinutes: 60, reason: { code: 'ticket_4712' } },
      })
      expectOpenAIError(again.json(), { code: 'support_session_active' })

      // Any other audited action in the session carries the ids.
      const token = await h.request({
        method: 'POST',
        url: '/admin-tokens',
        as,
        body: { name: 'during support', reason: { code: 'ticket_4711' } },
      })
      expect(token.statusCode).toBe(201)
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.token_create',
        support_session_id: session.supportSessionId,
        impersonator_id: agent.adminId,
      })
      const me = await h.request({ method: 'GET', url: '/auth/me', as })
      expect(me.json()).toMatchObject({
        supportSession: { supportSessionId: session.supportSessionId },
      })
      const list = await h.request({ method: 'GET', url: '/support-sessions', as })
      expect(list.json<{ data: unknown[] }>().data).toHaveLength(1)

      const ended = await h.request({
        method: 'POST',
        url: `/support-sessions/${session.supportSessionId}/end`,
        as,
      })
      expect(ended.statusCode).toBe(200)
      expect(ended.json()).toMatchObject({ endReason: 'ended' })
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'support_session.end',
        support_session_id: session.supportSessionId,
        organization_id: organizationId,
      })
      // After the end, events no longer carry the session.
      await h.request({
        method: 'PATCH',
        url: `/admins/${agent.adminId}`,
        as: { token: h.ownerToken },
        body: { displayName: 'Agent' },
      })
      await h.request({ method: 'POST', url: '/auth/logout', as })
      expect((await h.auditEvents()).at(-1)).toMatchObject({
        action: 'admin.logout',
        support_session_id: null,
      })
    })

    it('expires a session on its own admin’s next request, recorded by a system actor', async () => {
      const { agent, as } = await supportAgent()
      const organizationId = await h.createOrganization()
      const started = await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: { organizationId, durationMinutes: 15, reason: { code: 'ticket_1' } },
      })
      const { supportSessionId } = started.json<{ supportSessionId: string }>()
      h.clock.advance(15 * 60_000)
      const me = await h.request({ method: 'GET', url: '/auth/me', as })
      expect(me.json()).toMatchObject({ supportSession: null })
      const expiry = (await h.auditEvents()).at(-1)!
      expect(expiry).toMatchObject({
        action: 'support_session.expire',
        actor_type: 'system',
        actor_id: SUPPORT_SESSION_EXPIRY_ACTOR,
        support_session_id: supportSessionId,
        impersonator_id: agent.adminId,
        organization_id: organizationId,
      })
      // Exactly once.
      await h.request({ method: 'GET', url: '/auth/me', as })
      const expiries = (await h.auditEvents()).filter(
        (e) => e.action === 'support_session.expire' && e.support_session_id === supportSessionId,
      )
      expect(expiries).toHaveLength(1)
    })

    it('expires sessions nobody touches from the periodic job', async () => {
      const { as } = await supportAgent()
      await h.request({
        method: 'POST',
        url: '/support-sessions',
        as,
        body: {
          organizationId: await h.createOrganization(),
          durationMinutes: 5,
          reason: { code: 'ticket_2' },
        },
      })
      expect(await h.services.supportSessions.expireDue()).toBe(0)
      h.clock.advance(5 * 60_000 + 1)
      expect(await h.services.supportSessions.expireDue()).toBe(1)
      expect(await h.services.supportSessions.expireDue()).toBe(0)
      const open = await h.request({
        method: 'GET',
        url: '/support-sessions?scope=all',
        as: { token: h.ownerToken },
      })
      expect(open.json<{ data: unknown[] }>().data).toHaveLength(0)
    })
  })
}
