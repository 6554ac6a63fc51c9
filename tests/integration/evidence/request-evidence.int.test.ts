import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  verifyEvidenceBundle,
  type EvidenceBundle,
  type EvidenceDocument,
} from '../../../src/evidence/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { settledRequest } from '../../support/billing-fixtures.js'
import {
  DISPUTE_APP_OPTIONS,
  scriptDispute,
  type ScriptedDispute,
} from '../../support/evidence-dispute.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { csvRecords } from '../../support/usage-fixtures.js'
import { testDialects } from '../../support/test-db.js'

for (const dialect of testDialects()) {
  describe(`${dialect}: the evidence of a disputed request (#8)`, () => {
    let h: AdminHarness
    let dispute: ScriptedDispute

    beforeAll(async () => {
      h = await createAdminHarness(dialect, { app: DISPUTE_APP_OPTIONS })
      dispute = await scriptDispute(h, { requestId: `req_dispute_${dialect}` })
    })
    afterAll(() => h.close())

    const evidenceOf = (requestId: string, token = dispute.supportToken) =>
      h.request({
        method: 'GET',
        url: `/evidence/requests/${encodeURIComponent(requestId)}`,
        as: { token },
      })

    it('returns every link of the dispute in one document, and nothing of another request', async () => {
      const res = await evidenceOf(dispute.requestId)
      expect(res.statusCode, res.body).toBe(200)
      const doc = res.json<EvidenceDocument>()
      expect(doc).toMatchObject({
        object: 'request_evidence',
        format: 'ferry.evidence.v1',
        requestId: dispute.requestId,
        organizationIds: [dispute.organizationId],
      })

      // The usage event: downgraded by the budget threshold, served by the fallback, aborted.
      expect(doc.usageEvents).toHaveLength(1)
      const usage = doc.usageEvents[0]!
      expect(usage).toMatchObject({
        requestId: dispute.requestId,
        organizationId: dispute.organizationId,
        modelRequested: 'assistant',
        provider: 'economy-steady',
        modelServed: 'mock-small',
        route: 'assistant-economy',
        budgetDecision: 'downgrade',
        budgetReason: 'balance_below_downgrade_threshold',
        stream: true,
        streamOutcome: 'client_aborted',
        settlementOutcome: 'client_aborted',
        routePolicyScope: 'organization',
        routePolicyVersion: String(dispute.routePolicyVersion),
        budgetPolicyId: dispute.budgetPolicyId,
        ledgerEntryId: dispute.chargeEntryId,
        refundState: 'full',
      })
      expect(usage.downgradeReason).toMatch(/downgrade/)
      expect(usage.fallbackReason).toContain('economy-down/mock-small server_error')
      expect(usage.fallbackReason).toContain('served by economy-steady')

      // Money: the charge with its hold facts, the refund citing it; nothing else.
      expect(doc.ledger.entries.map((e) => [e.kind, e.entryId])).toEqual([
        ['usage_charge', dispute.chargeEntryId],
        ['refund', dispute.refundEntryId],
      ])
      const [charge, refund] = doc.ledger.entries
      expect(charge!.amountMicros).toBe(String(-dispute.refundMicros))
      const settlement = charge!.settlement!
      expect(settlement).toMatchObject({
        outcome: 'client_aborted',
        chargedMicros: String(dispute.refundMicros),
        rule: expect.stringMatching(/@/) as string,
      })
      expect(BigInt(settlement.releasedMicros!)).toBe(
        BigInt(settlement.holdMicros!) - dispute.refundMicros,
      )
      expect(refund).toMatchObject({
        amountMicros: String(dispute.refundMicros),
        originalEntryId: dispute.chargeEntryId,
        approvalId: dispute.approvalId,
        settlement: null,
      })
      expect(doc.ledger.totals).toEqual({
        chargedMicros: String(dispute.refundMicros),
        waivedMicros: '0',
        refundedMicros: String(dispute.refundMicros),
        netMicros: '0',
      })
      expect(doc.ledger.approvals).toMatchObject([
        { approvalId: dispute.approvalId, status: 'used', usedByEntryId: dispute.refundEntryId },
      ])

      // The versions that decided it, with their content.
      expect(doc.routePolicies).toMatchObject([
        {
          status: 'found',
          scope: 'organization',
          storedScope: dispute.organizationId,
          version: String(dispute.routePolicyVersion),
          content: {
            routes: { 'assistant-economy': { tier: 'economy' } },
            downgradeRules: [{ serveTier: 'economy' }],
          },
        },
      ])
      expect(doc.budgetPolicies).toMatchObject([
        {
          status: 'found',
          budgetPolicyId: dispute.budgetPolicyId,
          version: 1,
          organizationId: dispute.organizationId,
          content: { thresholds: { downgradeBelowMicros: '5000000' } },
        },
      ])
      expect(doc.priceTables).toMatchObject([{ status: 'found', scope: 'platform' }])

      // The three admin events, each with its chain proof; not yet checkpointed.
      expect(doc.auditEvents.map((e) => [e.link, e.event.action])).toEqual([
        ['approval_request', 'billing.approval_request'],
        ['approval_grant', 'billing.approval_grant'],
        ['refund', 'billing.refund'],
      ])
      const refundEvent = doc.auditEvents[2]!.event
      expect(refundEvent).toMatchObject({
        actor_type: 'api_token',
        actor_role: 'billing',
        reason_code: 'billing_dispute_refund',
        target_id: dispute.refundEntryId,
        chain_id: dispute.organizationId,
      })
      expect(refundEvent.evidence).toMatchObject({
        requestId: dispute.requestId,
        settlementEntryId: dispute.chargeEntryId,
        approvalId: dispute.approvalId,
        approvalEventId: doc.auditEvents[1]!.event.audit_event_id,
      })
      // Granted by a second admin (an owner), not the billing admin who asked and refunded.
      expect(doc.auditEvents[0]!.event.actor_id).toBe(refundEvent.actor_id)
      expect(doc.auditEvents[1]!.event).toMatchObject({ actor_role: 'owner' })
      expect(doc.auditEvents[1]!.event.actor_id).not.toBe(refundEvent.actor_id)
      for (const { event, proof } of doc.auditEvents)
        expect(proof).toEqual({
          chainId: event.chain_id,
          sequence: event.sequence,
          previousHash: event.previous_hash,
          hash: event.hash,
          status: 'pending_checkpoint',
          checkpoint: null,
        })

      // Nothing of the other request: not its usage, its refund, nor its threshold event.
      expect(res.body).not.toContain(dispute.otherRequestId)
    })

    it('shows the disputed request identically in the usage CSV export', async () => {
      const doc = (await evidenceOf(dispute.requestId)).json<EvidenceDocument>()
      const usage = doc.usageEvents[0] as Record<string, unknown>
      const at = Date.parse(String(usage.createdAt))
      const from = new Date(at - 60_000).toISOString()
      const to = new Date(at + 60_000).toISOString()
      const res = await h.request({
        method: 'GET',
        url: `/usage/export?organizationId=${dispute.organizationId}&from=${from}&to=${to}`,
        as: { token: h.ownerToken },
      })
      expect(res.statusCode, res.body).toBe(200)
      const rows = csvRecords(res.body).filter((r) => r.request_id === dispute.requestId)
      expect(rows).toHaveLength(1)
      const row = rows[0]!
      // Each fact the evidence states about the request, the export states the same way.
      expect(row).toMatchObject({
        usage_id: usage.usageId,
        created_at: usage.createdAt,
        organization_id: usage.organizationId,
        key_id: usage.keyId,
        model_requested: usage.modelRequested,
        model_served: usage.modelServed,
        provider: usage.provider,
        route_policy_version: usage.routePolicyVersion,
        budget_policy_version: String(usage.budgetPolicyVersion),
        budget_decision: usage.budgetDecision,
        settlement_outcome: usage.settlementOutcome,
        stream_outcome: usage.streamOutcome,
        prompt_tokens: String(usage.promptTokens),
        completion_tokens: String(usage.completionTokens),
        cost_micros: String(usage.costMicros),
        refunded_micros: String(dispute.refundMicros),
        refund_state: usage.refundState,
        ledger_entry_id: dispute.chargeEntryId,
      })
    })

    it('cites the first signed checkpoint covering each event once one is written', async () => {
      const [checkpoint] = await h.runtime.auditCheckpointer.writeCheckpoints({
        chainId: dispute.organizationId,
      })
      const doc = (await evidenceOf(dispute.requestId)).json<EvidenceDocument>()
      for (const { proof } of doc.auditEvents)
        expect(proof).toMatchObject({
          status: 'checkpointed',
          checkpoint: {
            checkpointId: checkpoint!.checkpoint_id,
            sequence: checkpoint!.sequence,
            hash: checkpoint!.hash,
            keyId: h.services.audit.publicKey.keyId,
            signature: checkpoint!.signature,
          },
        })
      expect(BigInt(doc.auditEvents[2]!.proof.sequence)).toBeLessThanOrEqual(
        BigInt(checkpoint!.sequence),
      )
    })

    it('records each read as an evidence.view event on the organization chain', async () => {
      await evidenceOf(dispute.requestId)
      const views = (await h.auditEvents()).filter((e) => e.action === 'evidence.view')
      expect(views.length).toBeGreaterThan(0)
      expect(views.at(-1)).toMatchObject({
        category: 'data_access',
        chain_id: dispute.organizationId,
        target_type: 'request',
        target_id: dispute.requestId,
      })
      expect(JSON.parse(views.at(-1)!.after_json!)).toMatchObject({
        requestId: dispute.requestId,
        format: 'json',
        usageEvents: 1,
        ledgerEntries: 2,
        auditEvents: 3,
      })
    })

    it("shows the other request's own links when asked for it", async () => {
      const doc = (await evidenceOf(dispute.otherRequestId)).json<EvidenceDocument>()
      expect(doc.auditEvents.map((e) => e.event.action)).toEqual([
        'budget.threshold_crossed',
        'billing.refund',
      ])
      expect(JSON.stringify(doc)).not.toContain(dispute.requestId)
    })

    it('exports a signed bundle that verifies offline, and names the event a tamper altered', async () => {
      const bundle: EvidenceBundle = await h.services.evidence.exportBundle(
        SETUP_AUDIT,
        dispute.requestId,
      )
      const trustedKeys = [h.services.audit.publicKey.publicKey]
      const verified = verifyEvidenceBundle(bundle, { trustedKeys })
      expect(verified.problems).toEqual([])
      expect(verified.ok).toBe(true)
      expect(verified.events.map((e) => e.status)).toEqual(['verified', 'verified', 'verified'])

      const refundId = bundle.evidence.auditEvents[2]!.event.audit_event_id
      const tampered = JSON.parse(
        JSON.stringify(bundle).replace(
          '"reason_code":"billing_dispute_refund"',
          '"reason_code":"billing_dispute_refunc"',
        ),
      ) as EvidenceBundle
      const failed = verifyEvidenceBundle(tampered, { trustedKeys })
      expect(failed.ok).toBe(false)
      expect(failed.problems.join('\n')).toContain('bundle signature is invalid')
      expect(failed.problems.join('\n')).toContain(`${refundId} (billing.refund`)
      expect(failed.events.find((e) => e.auditEventId === refundId)?.status).toBe('failed')
    })

    it('answers 404 for a request nothing is known of, 400 for a malformed ID', async () => {
      const unknown = await evidenceOf('req_never_seen')
      expect(unknown.statusCode).toBe(404)
      expectOpenAIError(unknown.json(), { code: 'request_evidence_not_found' })
      const malformed = await evidenceOf('-not a request id')
      expect(malformed.statusCode).toBe(400)
      expectOpenAIError(malformed.json(), { type: 'invalid_request_error' })
    })

    it("keeps an admin in a support session to that organization's requests", async () => {
      const support = await h.createAdmin({ role: 'support' })
      const token = await h.createToken(support)
      const other = await h.createOrganization('Elsewhere')
      const session = await h.services.supportSessions.start(SETUP_AUDIT, {
        adminId: support.adminId,
        organizationId: other,
        durationMs: 60 * 60_000,
      })
      const viewsBefore = (await h.auditEvents()).filter((e) => e.action === 'evidence.view')
      const refused = await evidenceOf(dispute.requestId, token)
      expect(refused.statusCode, refused.body).toBe(403)
      expectOpenAIError(refused.json(), { code: 'permission_denied' })
      expect(refused.json()).toMatchObject({ error: { param: 'requestId' } })
      // A refused read is not recorded as a read.
      const viewsAfter = (await h.auditEvents()).filter((e) => e.action === 'evidence.view')
      expect(viewsAfter).toHaveLength(viewsBefore.length)

      await h.services.supportSessions.end(SETUP_AUDIT, {
        supportSessionId: session.supportSessionId,
        actorAdminId: support.adminId,
        mayEndAny: false,
      })
      await h.services.supportSessions.start(SETUP_AUDIT, {
        adminId: support.adminId,
        organizationId: dispute.organizationId,
        durationMs: 60 * 60_000,
      })
      const own = await evidenceOf(dispute.requestId, token)
      expect(own.statusCode, own.body).toBe(200)
    })

    it('needs billing.read: a token without it is refused with 403', async () => {
      const narrowed = await h.services.tokens.createToken(SETUP_AUDIT, {
        adminId: h.owner.adminId,
        name: 'usage only',
        permissions: ['usage.read'],
      })
      const denied = await evidenceOf(dispute.requestId, narrowed.token)
      expect(denied.statusCode).toBe(403)
      expectOpenAIError(denied.json(), { code: 'permission_denied' })
      const finance = await h.createToken(await h.createAdmin({ role: 'billing' }))
      expect((await evidenceOf(dispute.requestId, finance)).statusCode).toBe(200)
    })
  })
}

for (const dialect of testDialects()) {
  describe(`${dialect}: evidence with the database hold strategy`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect, { app: { billing: { holds: 'database' } } })
    })
    afterAll(() => h.close())

    it('includes the stored hold its settlement resolved, and what was released', async () => {
      const settled = await settledRequest(h, 300_000n)
      const doc = await h.services.evidence.gather(settled.requestId)
      expect(doc?.ledger.holds).toMatchObject([
        { requestId: settled.requestId, amountMicros: '600000', status: 'settled' },
      ])
      expect(doc?.ledger.entries[0]?.settlement).toMatchObject({
        holdId: doc?.ledger.holds[0]?.holdId,
        holdMicros: '600000',
        chargedMicros: '300000',
        releasedMicros: '300000',
        outcome: 'completed',
      })
      // Settled through the services, with no /v1 request: no usage event, no policy versions.
      expect(doc?.usageEvents).toEqual([])
      expect(doc?.auditEvents).toEqual([])
    })
  })
}
