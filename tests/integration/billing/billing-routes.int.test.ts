import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { idempotencyKey, settledRequest } from '../../support/billing-fixtures.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

const reason = (code: string) => ({ reason: { code } })

interface WireEntry {
  entryId: string
  kind: string
  amountMicros: string
  balanceAfterMicros: string
  requestId: string | null
  originalEntryId: string | null
  approvalId: string | null
}

for (const dialect of testDialects()) {
  describe(`${dialect}: billing admin API`, () => {
    let h: AdminHarness
    let billingToken: string
    let secondOwnerToken: string
    let secondOwnerId: string
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      billingToken = await h.createToken(await h.createAdmin({ role: 'billing' }))
      const second = await h.createAdmin({ role: 'owner' })
      secondOwnerId = second.adminId
      secondOwnerToken = await h.createToken(second)
    })
    afterAll(() => h.close())

    const post = (url: string, body: Record<string, unknown>, token = h.ownerToken) =>
      h.request({ method: 'POST', url, as: { token }, body })
    const get = (url: string, token = h.ownerToken) =>
      h.request({ method: 'GET', url, as: { token } })

    it('credits an account with a reason, shows the balance, and lists entries newest first', async () => {
      const org = await h.createOrganization()
      const noReason = await post(`/orgs/${org}/billing/credits`, {
        amountMicros: '1000',
        idempotencyKey: idempotencyKey(),
      })
      expect(noReason.statusCode).toBe(400)
      expectOpenAIError(noReason.json(), { code: 'reason_required' })

      for (const amount of ['1000', '2500', '40'])
        expect(
          (
            await post(
              `/orgs/${org}/billing/credits`,
              { amountMicros: amount, idempotencyKey: idempotencyKey(), ...reason('top_up') },
              billingToken,
            )
          ).statusCode,
        ).toBe(201)
      const balance = (await get(`/orgs/${org}/billing/balance`, billingToken)).json<{
        currency: string
        accounts: { environment: string; balanceMicros: string; availableMicros: string }[]
      }>()
      expect(balance.currency).toBe('USD')
      expect(balance.accounts).toMatchObject([
        { environment: 'live', balanceMicros: '3540', availableMicros: '3540' },
      ])
      const first = (await get(`/orgs/${org}/billing/entries?limit=2`)).json<{
        data: WireEntry[]
        hasMore: boolean
        nextCursor: string
      }>()
      expect(first.data.map((e) => e.amountMicros)).toEqual(['40', '2500'])
      expect(first.hasMore).toBe(true)
      const second = (
        await get(`/orgs/${org}/billing/entries?limit=2&after=${first.nextCursor}`)
      ).json<{ data: WireEntry[]; hasMore: boolean }>()
      expect(second.data.map((e) => e.amountMicros)).toEqual(['1000'])
      expect(second.hasMore).toBe(false)
      const badCursor = await get(
        `/orgs/${org}/billing/entries?after=${encodeURIComponent("' or 1=1")}`,
      )
      expect(badCursor.statusCode).toBe(400)
      expect(badCursor.json()).toMatchObject({ error: { param: 'after' } })
      const malformed = await post(`/orgs/${org}/billing/credits`, {
        amountMicros: 12.5,
        idempotencyKey: idempotencyKey(),
        ...reason('top_up'),
      })
      expect(malformed.statusCode).toBe(400)
    })

    it('links a refund, its audit event and the original request to each other', async () => {
      const settled = await settledRequest(h, 1_000_000n)
      const key = idempotencyKey()
      const body = {
        requestId: settled.requestId,
        settlementEntryId: settled.settlementEntryId,
        amountMicros: '600000',
        idempotencyKey: key,
        ...reason('failed_request_refund'),
      }
      const res = await post(`/orgs/${settled.organizationId}/billing/refunds`, body)
      expect(res.statusCode, res.body).toBe(201)
      const refund = res.json<WireEntry>()
      expect(refund).toMatchObject({
        kind: 'refund',
        amountMicros: '600000',
        requestId: settled.requestId,
        originalEntryId: settled.settlementEntryId,
      })
      const event = (await h.auditEvents()).find((e) => e.action === 'billing.refund')!
      expect(event.target_id).toBe(refund.entryId)
      expect(event.reason_code).toBe('failed_request_refund')
      expect(JSON.parse(event.evidence_json!)).toMatchObject({
        entryId: refund.entryId,
        requestId: settled.requestId,
        settlementEntryId: settled.settlementEntryId,
        originalEntryId: settled.settlementEntryId,
      })
      const linked = (await get(`/billing/entries/${refund.entryId}`)).json<{
        auditEventId: string
        requestEntries: WireEntry[]
      }>()
      expect(linked.auditEventId).toBe(event.audit_event_id)
      expect(linked.requestEntries.map((e) => e.entryId)).toEqual([
        settled.settlementEntryId,
        refund.entryId,
      ])
      const original = (await get(`/billing/entries/${settled.settlementEntryId}`)).json<{
        corrections: WireEntry[]
      }>()
      expect(original.corrections.map((e) => e.entryId)).toEqual([refund.entryId])

      // Idempotent: the same request again returns the same entry and writes no event.
      const events = (await h.auditEvents()).length
      const again = await post(`/orgs/${settled.organizationId}/billing/refunds`, body)
      expect(again.json<WireEntry>().entryId).toBe(refund.entryId)
      expect((await h.auditEvents()).length).toBe(events)
      const otherAmount = await post(`/orgs/${settled.organizationId}/billing/refunds`, {
        ...body,
        amountMicros: '1',
      })
      expect(otherAmount.statusCode).toBe(409)
      expectOpenAIError(otherAmount.json(), { code: 'idempotency_key_reused' })
      // Never more than was charged.
      const tooMuch = await post(`/orgs/${settled.organizationId}/billing/refunds`, {
        ...body,
        amountMicros: '400001',
        idempotencyKey: idempotencyKey(),
      })
      expect(tooMuch.statusCode).toBe(409)
      expectOpenAIError(tooMuch.json(), { code: 'refund_exceeds_charge' })
      const wrongRequest = await post(`/orgs/${settled.organizationId}/billing/refunds`, {
        ...body,
        requestId: 'req_someone_else',
        amountMicros: '1',
        idempotencyKey: idempotencyKey(),
      })
      expectOpenAIError(wrongRequest.json(), { code: 'entry_not_refundable' })
      // Another organization's charge is not found, naming the field that cited it.
      const otherOrg = await h.createOrganization()
      const elsewhere = await post(`/orgs/${otherOrg}/billing/refunds`, {
        ...body,
        amountMicros: '1',
        idempotencyKey: idempotencyKey(),
      })
      expect(elsewhere.statusCode).toBe(404)
      expectOpenAIError(elsewhere.json(), { code: 'ledger_entry_not_found' })
      expect(elsewhere.json()).toMatchObject({ error: { param: 'settlementEntryId' } })
    })

    it('voids a credit once, and refuses to void a usage charge', async () => {
      const org = await h.createOrganization()
      const credit = (
        await post(`/orgs/${org}/billing/credits`, {
          amountMicros: '5000',
          idempotencyKey: idempotencyKey(),
          ...reason('top_up'),
        })
      ).json<WireEntry>()
      const voided = await post(`/billing/entries/${credit.entryId}/void`, {
        idempotencyKey: idempotencyKey(),
        ...reason('entered_twice'),
      })
      expect(voided.json<WireEntry>()).toMatchObject({
        kind: 'void',
        amountMicros: '-5000',
        balanceAfterMicros: '0',
        originalEntryId: credit.entryId,
      })
      const twice = await post(`/billing/entries/${credit.entryId}/void`, {
        idempotencyKey: idempotencyKey(),
        ...reason('entered_twice'),
      })
      expectOpenAIError(twice.json(), { code: 'already_voided' })
      const settled = await settledRequest(h)
      const charge = await post(`/billing/entries/${settled.settlementEntryId}/void`, {
        idempotencyKey: idempotencyKey(),
        ...reason('wrong_tool'),
      })
      expectOpenAIError(charge.json(), { code: 'entry_not_voidable' })
    })

    it('lists the approvals waiting for a second admin, and moves a granted one out', async () => {
      const org = await h.createOrganization()
      const ask = async (amountMicros: string) =>
        (
          await post(`/orgs/${org}/billing/approvals`, { action: 'billing.refund', amountMicros })
        ).json<{ approvalId: string }>().approvalId
      const first = await ask('3000000000')
      const second = await ask('4000000000')
      const listed = (status: string) =>
        get(`/billing/approvals?status=${status}&organizationId=${org}`, billingToken)
      const pending = await listed('pending')
      expect(pending.statusCode, pending.body).toBe(200)
      expect(
        pending.json<{ data: { approvalId: string }[] }>().data.map((a) => a.approvalId),
      ).toEqual([second, first])
      await post(`/billing/approvals/${first}/grant`, reason('checked'), secondOwnerToken)
      const after = (await listed('pending')).json<{ data: { approvalId: string }[] }>()
      expect(after.data.map((a) => a.approvalId)).toEqual([second])
      const granted = (await listed('granted')).json<{ data: { approvalId: string }[] }>()
      expect(granted.data.map((a) => a.approvalId)).toEqual([first])
      const bad = await get('/billing/approvals?status=lost', billingToken)
      expect(bad.statusCode).toBe(400)
    })

    it('needs a second admin to approve a large credit, and refuses self-approval', async () => {
      const org = await h.createOrganization()
      const big = {
        amountMicros: '2000000000',
        idempotencyKey: idempotencyKey(),
        ...reason('launch_credit'),
      }
      const unapproved = await post(`/orgs/${org}/billing/credits`, big)
      expect(unapproved.statusCode).toBe(403)
      expectOpenAIError(unapproved.json(), { code: 'approval_required' })

      const requested = await post(`/orgs/${org}/billing/approvals`, {
        action: 'billing.credit',
        amountMicros: '2000000000',
      })
      expect(requested.statusCode).toBe(201)
      const { approvalId } = requested.json<{ approvalId: string }>()
      const self = await post(`/billing/approvals/${approvalId}/grant`, reason('checked'))
      expect(self.statusCode).toBe(403)
      expectOpenAIError(self.json(), { code: 'self_approval_forbidden' })
      const billingRole = await post(
        `/billing/approvals/${approvalId}/grant`,
        reason('checked'),
        billingToken,
      )
      expectOpenAIError(billingRole.json(), { code: 'permission_denied' })
      const granted = await post(
        `/billing/approvals/${approvalId}/grant`,
        reason('contract_signed'),
        secondOwnerToken,
      )
      expect(granted.statusCode, granted.body).toBe(200)
      expect(granted.json()).toMatchObject({ status: 'granted', grantedBy: secondOwnerId })

      // The approver cannot execute what they approved.
      const byApprover = await post(
        `/orgs/${org}/billing/credits`,
        { ...big, approvalId },
        secondOwnerToken,
      )
      expectOpenAIError(byApprover.json(), { code: 'self_approval_forbidden' })
      const wrongAmount = await post(`/orgs/${org}/billing/credits`, {
        ...big,
        amountMicros: '2000000001',
        idempotencyKey: idempotencyKey(),
        approvalId,
      })
      expectOpenAIError(wrongAmount.json(), { code: 'approval_not_usable' })
      const executed = await post(`/orgs/${org}/billing/credits`, { ...big, approvalId })
      expect(executed.statusCode, executed.body).toBe(201)
      const entry = executed.json<WireEntry>()
      expect(entry.approvalId).toBe(approvalId)
      const events = await h.auditEvents()
      const grantEvent = events.find(
        (e) => e.action === 'billing.approval_grant' && e.target_id === approvalId,
      )!
      const creditEvent = events.find(
        (e) => e.action === 'billing.credit' && e.target_id === entry.entryId,
      )!
      expect(JSON.parse(creditEvent.evidence_json!)).toMatchObject({
        approvalId,
        approvalEventId: grantEvent.audit_event_id,
      })
      const reused = await post(`/orgs/${org}/billing/credits`, {
        ...big,
        idempotencyKey: idempotencyKey(),
        approvalId,
      })
      expectOpenAIError(reused.json(), { code: 'approval_not_usable' })
    })

    it("exports a month's invoice whose lines sum to the ledger, as JSON and CSV", async () => {
      const org = await h.createOrganization()
      const credit = (amountMicros: string) =>
        post(`/orgs/${org}/billing/credits`, {
          amountMicros,
          idempotencyKey: idempotencyKey(),
          ...reason('top_up'),
        })
      // The harness clock starts on 2026-01-01: January's entries, then February's.
      await credit('10000000')
      h.clock.set(Date.UTC(2026, 1, 3))
      await credit('333333')
      await post(`/orgs/${org}/billing/adjustments`, {
        direction: 'debit',
        amountMicros: '1001',
        idempotencyKey: idempotencyKey(),
        ...reason('usage_outside_gateway'),
      })
      const month = '2026-02'
      const res = await get(`/orgs/${org}/billing/invoices/${month}`)
      expect(res.statusCode, res.body).toBe(200)
      const invoice = res.json<{
        openingBalanceMicros: string
        closingBalanceMicros: string
        totalMicros: string
        lines: { kind: string; amountMicros: string; entries: number }[]
      }>()
      expect(invoice.openingBalanceMicros).toBe('10000000')
      expect(invoice.closingBalanceMicros).toBe('10332332')
      const sum = invoice.lines.reduce((s, l) => s + BigInt(l.amountMicros), 0n)
      expect(sum).toBe(332_332n)
      expect(BigInt(invoice.totalMicros)).toBe(sum)

      const csv = await get(`/orgs/${org}/billing/invoices/${month}?format=csv`)
      expect(csv.headers['content-type']).toContain('text/csv')
      const rows = csv.body
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','))
      const lineSum = rows.filter((r) => r[0] === 'line').reduce((s, r) => s + BigInt(r[6]!), 0n)
      const opening = BigInt(rows.find((r) => r[0] === 'opening_balance')![6]!)
      const closing = BigInt(rows.find((r) => r[0] === 'closing_balance')![6]!)
      expect(opening + lineSum).toBe(closing)
      const exports = (await h.auditEvents()).filter((e) => e.action === 'billing.invoice_export')
      expect(exports.length).toBeGreaterThanOrEqual(2)
      expect(exports.at(-1)!.organization_id).toBe(org)
    })
  })
}
