import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeySecret } from '../../../src/keys/key-secret.js'
import { newRequestId } from '../../../src/lib/ids.js'
import {
  RETENTION_ACTOR_ID,
  createRequestLogWriter,
  type RequestCapture,
} from '../../../src/request-logs/index.js'
import { dialectOf, type Db } from '../../../src/storage/index.js'
import { draftToUsageRow, insertUsageEvents, type UsageDraft } from '../../../src/usage/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { dumpAllTables } from '../../support/dump-tables.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { testDialects } from '../../support/test-db.js'

const DAY_MS = 24 * 60 * 60 * 1000
const REASON = { 'x-ferry-reason-code': 'customer_requested_prompt_audit' }

function usageDraft(organizationId: string, requestId: string): UsageDraft {
  return {
    requestId,
    startedAt: '2026-01-01T08:59:59.000Z',
    organizationId,
    keyId: 'AAAAAAAAAAAAAAAA',
    keyLabel: 'fk_live_…Ab3x',
    environment: 'live',
    endpoint: 'chat.completions',
    modelRequested: 'mock',
    modelServed: 'mock',
    provider: 'mock',
    providerAccountId: null,
    routePolicyScope: 'implicit',
    routePolicyVersion: '0',
    route: 'mock',
    fallbackReason: null,
    downgradeReason: null,
    budgetPolicyId: null,
    budgetPolicyVersion: null,
    budgetDecision: null,
    budgetReason: null,
    priceTableVersion: null,
    promptTokens: 12,
    cachedTokens: 0,
    completionTokens: 3,
    reasoningTokens: 0,
    promptTokensSource: 'reported',
    completionTokensSource: 'reported',
    heldMicros: 0n,
    settlementOutcome: null,
    httpStatus: 200,
    upstreamStatus: 200,
    errorCode: null,
    attempts: 1,
    attemptsJson: null,
    latencyMs: 40,
    upstreamTtfbMs: 30,
    stream: false,
    streamOutcome: null,
    chunksDelivered: null,
  }
}

async function failAuditInserts(db: Db): Promise<() => Promise<void>> {
  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events
      BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END`.execute(db)
    return async () => {
      await sql`DROP TRIGGER test_fail_audit`.execute(db)
    }
  }
  await sql`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected audit failure'; END $$`.execute(db)
  await sql`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`.execute(db)
  return async () => {
    await sql`DROP TRIGGER test_fail_audit ON audit_events`.execute(db)
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: request logs`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    const owner = () => ({ token: h.ownerToken })
    const tokenOf = async (role: 'admin' | 'viewer' | 'security_auditor') => ({
      token: await h.createToken(await h.createAdmin({ role })),
    })

    async function optIn(organizationId: string, retentionDays?: number) {
      const res = await h.request({
        method: 'PUT',
        url: `/orgs/${organizationId}/request-logging`,
        as: owner(),
        body: {
          captureEnabled: true,
          ...(retentionDays ? { retentionDays } : {}),
          reason: { code: 'customer_requested_prompt_audit' },
        },
      })
      expect(res.statusCode, res.body).toBe(200)
      return res
    }

    function capture(input: Partial<RequestCapture> & { organizationId: string }) {
      const requestId = input.requestId ?? newRequestId()
      h.runtime.requestLog.capture({
        requestId,
        endpoint: 'chat.completions',
        request: { model: 'mock', messages: [{ role: 'user', content: 'hello' }] },
        response: { choices: [{ message: { role: 'assistant', content: 'hi' } }] },
        createdAtMs: h.clock.nowMs(),
        ...input,
      })
      return requestId
    }

    const countLogs = async (organizationId: string) =>
      Number(
        (
          await h.db
            .selectFrom('request_logs')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organization_id', '=', organizationId)
            .executeTakeFirstOrThrow()
        ).n,
      )

    it('opts in with an audited, high-risk change carrying its diff, and the key cache sees it', async () => {
      const organizationId = await h.createOrganization('Capture Co')
      const { secret } = await h.services.keys.create(SETUP_AUDIT, {
        organizationId,
        name: 'backend',
        environment: 'live',
      })
      expect((await h.runtime.keyAuthenticator.authenticate(secret)).requestLogCapture).toBe(false)

      const noReason = await h.request({
        method: 'PUT',
        url: `/orgs/${organizationId}/request-logging`,
        as: owner(),
        body: { captureEnabled: true },
      })
      expect(noReason.statusCode).toBe(400)
      expectOpenAIError(noReason.json(), { code: 'reason_required' })

      const admin = await h.request({
        method: 'PUT',
        url: `/orgs/${organizationId}/request-logging`,
        as: await tokenOf('admin'),
        body: { captureEnabled: true, reason: { code: 'customer_requested_prompt_audit' } },
      })
      expect(admin.statusCode).toBe(403)

      const before = (await h.auditEvents()).length
      const res = await optIn(organizationId, 14)
      expect(res.json()).toMatchObject({ captureEnabled: true, retentionDays: 14 })
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => e.action)).toEqual(['request_log.capture_update'])
      expect(events[0]).toMatchObject({
        organization_id: organizationId,
        target_type: 'request_log_settings',
        target_id: organizationId,
        reason_code: 'customer_requested_prompt_audit',
      })
      expect(JSON.parse(events[0]!.before_json!)).toEqual({
        captureEnabled: false,
        retentionDays: 30,
      })
      expect(JSON.parse(events[0]!.after_json!)).toEqual({
        captureEnabled: true,
        retentionDays: 14,
      })
      // The organization's keys were dropped from the cache: the next request sees the opt-in.
      expect((await h.runtime.keyAuthenticator.authenticate(secret)).requestLogCapture).toBe(true)

      const read = await h.request({
        method: 'GET',
        url: `/orgs/${organizationId}/request-logging`,
        as: await tokenOf('viewer'),
      })
      expect(read.json()).toMatchObject({ captureEnabled: true, retentionDays: 14 })
    })

    it('writes nothing for an organization that has not opted in', async () => {
      const organizationId = await h.createOrganization('Quiet Co')
      const skippedBefore = h.runtime.requestLog.stats().skipped
      capture({ organizationId })
      await h.runtime.requestLog.flush()
      expect(await countLogs(organizationId)).toBe(0)
      expect(h.runtime.requestLog.stats().skipped).toBe(skippedBefore + 1)
    })

    it('stores a captured prompt masked: no planted secret anywhere in the database', async () => {
      const organizationId = await h.createOrganization('Leaky Co')
      await optIn(organizationId)
      const ferryKey = generateKeySecret({ environment: 'live', hashKey: Buffer.alloc(32, 1) })
      const canaries = {
        ferry: ferryKey.secret,
        openai: `sk-proj-CANARY${ferryKey.keyId}abcdef`,
        pemBody: `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcCANARY${ferryKey.keyId}`,
        aws: 'AKIAZ7CANARYQ3XY2W4V',
      }
      const pem = `-----BEGIN PRIVATE KEY-----\n${canaries.pemBody}\n-----END PRIVATE KEY-----`
      const requestId = capture({
        organizationId,
        request: {
          model: 'mock',
          messages: [
            { role: 'system', content: 'You are a deploy bot.' },
            { role: 'user', content: `Use ${canaries.ferry} and ${canaries.openai}.\n${pem}` },
          ],
          tools: [
            {
              type: 'function',
              function: {
                name: 'deploy',
                arguments: JSON.stringify({ key: canaries.openai, pem }),
              },
            },
          ],
        },
        response: `Sure, I will use ${canaries.aws} for that.`,
      })
      await h.runtime.requestLog.flush()
      expect(await countLogs(organizationId)).toBe(1)

      const dump = await dumpAllTables(h.db)
      for (const [name, canary] of Object.entries(canaries))
        for (const [table, content] of Object.entries(dump))
          expect(content.includes(canary), `${name} canary in ${table}`).toBe(false)

      const res = await h.request({
        method: 'GET',
        url: `/request-logs/${requestId}`,
        as: owner(),
      })
      expect(res.statusCode, res.body).toBe(200)
      const log = res.json<{
        request: { messages: { content: string }[]; tools: { function: { arguments: string } }[] }
        response: string
        maskedCount: number
      }>()
      expect(log.request.messages[0]!.content).toBe('You are a deploy bot.')
      expect(log.request.messages[1]!.content).toContain('[masked:ferry_key]')
      expect(log.request.messages[1]!.content).toContain('[masked:private_key]')
      expect(JSON.parse(log.request.tools[0]!.function.arguments)).toEqual({
        key: '[masked:openai_key]',
        pem: '[masked:private_key]',
      })
      expect(log.response).toBe('Sure, I will use [masked:aws_access_key] for that.')
      expect(log.maskedCount).toBe(6)
      for (const canary of Object.values(canaries)) expect(res.body).not.toContain(canary)
    })

    it('needs prompts.read to read a log, and records each read', async () => {
      const organizationId = await h.createOrganization('Read Co')
      await optIn(organizationId)
      const requestId = capture({ organizationId })
      await h.runtime.requestLog.flush()

      const viewer = await h.request({
        method: 'GET',
        url: `/request-logs/${requestId}`,
        as: await tokenOf('viewer'),
      })
      expect(viewer.statusCode).toBe(403)
      expectOpenAIError(viewer.json(), { code: 'permission_denied' })

      const adminToken = await tokenOf('admin')
      const before = (await h.auditEvents()).length
      const admin = await h.request({
        method: 'GET',
        url: `/request-logs/${requestId}`,
        as: adminToken,
      })
      expect(admin.statusCode, admin.body).toBe(200)
      expect(admin.json()).toMatchObject({ requestId, organizationId, usage: null })
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => e.action)).toEqual(['request_log.view'])
      expect(events[0]).toMatchObject({
        organization_id: organizationId,
        target_type: 'request_log',
        target_id: requestId,
        request_id: admin.headers['x-request-id'],
      })

      const missing = await h.request({
        method: 'GET',
        url: '/request-logs/req_does_not_exist',
        as: owner(),
      })
      expect(missing.statusCode).toBe(404)
      expectOpenAIError(missing.json(), { code: 'request_log_not_found' })
    })

    it('exports one organization as NDJSON: reason required, prompts.export required, audited', async () => {
      const organizationId = await h.createOrganization('Export Co')
      await optIn(organizationId)
      const inWindow = [capture({ organizationId }), capture({ organizationId })]
      capture({ organizationId, createdAtMs: h.clock.nowMs() - 2 * DAY_MS })
      await h.runtime.requestLog.flush()
      const from = new Date(h.clock.nowMs() - DAY_MS).toISOString()
      const url = `/request-logs/export?organizationId=${organizationId}&from=${from}`

      const adminToken = await tokenOf('admin')
      const before = (await h.auditEvents()).length
      const noReason = await h.request({ method: 'GET', url, as: owner() })
      expect(noReason.statusCode).toBe(400)
      expectOpenAIError(noReason.json(), { code: 'reason_required' })
      expect((await h.auditEvents()).length).toBe(before)

      // admin holds prompts.read but not prompts.export: refused, and the attempt is recorded.
      const denied = await h.request({ method: 'GET', url, as: adminToken, headers: REASON })
      expect(denied.statusCode).toBe(403)
      const denial = (await h.auditEvents()).slice(before)
      expect(denial.map((e) => e.action)).toEqual(['admin.access_denied'])
      expect(JSON.parse(denial[0]!.evidence_json!)).toMatchObject({
        attemptedAction: 'export.prompt_audit',
        requiredPermission: 'prompts.export',
      })

      const afterDenial = (await h.auditEvents()).length
      const res = await h.request({ method: 'GET', url, as: owner(), headers: REASON })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toContain('application/x-ndjson')
      const lines = res.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { request_id: string; organization_id: string })
      expect(lines.map((l) => l.request_id).sort()).toEqual([...inWindow].sort())
      expect(lines.every((l) => l.organization_id === organizationId)).toBe(true)
      const events = (await h.auditEvents()).slice(afterDenial)
      expect(events.map((e) => e.action)).toEqual(['export.prompt_audit'])
      expect(events[0]).toMatchObject({
        organization_id: organizationId,
        reason_code: 'customer_requested_prompt_audit',
        target_type: 'export',
        target_id: res.headers['x-ferry-export-id'],
      })
      expect(JSON.parse(events[0]!.after_json!)).toMatchObject({
        kind: 'prompt_audit',
        filters: { from },
      })
    })

    it('exports request metadata from the usage events with usage.export, audited as export.logs', async () => {
      const organizationId = await h.createOrganization('Metadata Co')
      const requestIds = [newRequestId(), newRequestId()]
      await insertUsageEvents(
        h.db,
        requestIds.map((requestId, i) =>
          draftToUsageRow(usageDraft(organizationId, requestId), {
            usageId: `use_test_${i}`,
            createdAt: new Date(h.clock.nowMs() - i * 1000).toISOString(),
            costMicros: 1500n,
            waivedMicros: 0n,
            ledgerEntryId: null,
            settlementRule: null,
          }),
        ),
      )
      const url = `/request-logs/metadata-export?organizationId=${organizationId}`
      const viewer = await h.request({ method: 'GET', url, as: await tokenOf('viewer') })
      expect(viewer.statusCode).toBe(403)

      const billing = { token: await h.createToken(await h.createAdmin({ role: 'billing' })) }
      const before = (await h.auditEvents()).length
      const res = await h.request({ method: 'GET', url, as: billing })
      expect(res.statusCode, res.body).toBe(200)
      const lines = res.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(lines.map((l) => l.requestId)).toEqual([...requestIds].reverse())
      expect(lines[0]).toMatchObject({
        object: 'request_log_metadata',
        organizationId,
        modelServed: 'mock',
        costMicros: '1500',
        promptTokens: 12,
      })
      expect(res.body).not.toContain('"request"')
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => e.action)).toEqual(['export.logs'])
      expect(JSON.parse(events[0]!.after_json!)).toMatchObject({ kind: 'request_log_metadata' })
    })

    it('purges only rows past their organization’s retention, with one system audit event', async () => {
      const short = await h.createOrganization('Short Retention')
      const long = await h.createOrganization('Long Retention')
      await optIn(short, 7)
      await optIn(long, 30)
      const now = h.clock.nowMs()
      const expired = capture({ organizationId: short, createdAtMs: now - 8 * DAY_MS })
      const kept = capture({ organizationId: short, createdAtMs: now - 6 * DAY_MS })
      capture({ organizationId: long, createdAtMs: now - 8 * DAY_MS })
      await h.runtime.requestLog.flush()
      // Rows left by earlier tests are within every retention: only `expired` may go.
      const before = (await h.auditEvents()).length

      const results = await h.services.requestLogs.purgeExpired()
      expect(results.filter((r) => r.purged > 0)).toEqual([
        expect.objectContaining({ organizationId: short, purged: 1, retentionDays: 7 }),
      ])
      const remaining = await h.db
        .selectFrom('request_logs')
        .select('request_id')
        .where('organization_id', '=', short)
        .execute()
      expect(remaining.map((r) => r.request_id)).toEqual([kept])
      expect(remaining.map((r) => r.request_id)).not.toContain(expired)
      expect(await countLogs(long)).toBe(1)

      const events = (await h.auditEvents()).slice(before)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        action: 'request_log.retention_purge',
        actor_type: 'system',
        actor_id: RETENTION_ACTOR_ID,
        organization_id: short,
        target_type: 'request_log',
      })
      expect(JSON.parse(events[0]!.after_json!)).toMatchObject({ rows: 1, retentionDays: 7 })

      // Nothing left to purge: nothing recorded.
      await h.services.requestLogs.purgeExpired()
      expect((await h.auditEvents()).length).toBe(before + 1)
    })

    it('bounds the writer: a full queue drops new captures, oversized content is cut after masking', async () => {
      const organizationId = await h.createOrganization('Bounded Co')
      await optIn(organizationId)
      const writer = createRequestLogWriter({ db: h.db, maxPending: 1, maxContentChars: 60 })
      const secret = `sk-proj-${'x'.repeat(40)}`
      const base = { organizationId, endpoint: 'chat.completions', createdAtMs: h.clock.nowMs() }
      const kept = newRequestId()
      writer.capture({
        ...base,
        requestId: kept,
        request: { messages: [{ role: 'user', content: `${secret} ${'y'.repeat(500)}` }] },
        response: 'ok',
      })
      writer.capture({ ...base, requestId: newRequestId(), request: {}, response: null })
      await writer.stop()
      expect(writer.stats()).toMatchObject({ queued: 1, dropped: 1, written: 1 })
      const row = await h.db
        .selectFrom('request_logs')
        .selectAll()
        .where('request_id', '=', kept)
        .executeTakeFirstOrThrow()
      expect(Number(row.truncated)).toBe(1)
      const stored = JSON.parse(row.request_json) as string
      expect(typeof stored).toBe('string')
      expect(stored.length).toBe(60)
      expect(stored).toContain('[masked:openai_key]')
      expect(row.request_json).not.toContain('sk-proj-')
    })

    it('leaves the setting unchanged when its audit event cannot be written', async () => {
      const organizationId = await h.createOrganization('Rollback Co')
      const restore = await failAuditInserts(h.db)
      try {
        const res = await h.request({
          method: 'PUT',
          url: `/orgs/${organizationId}/request-logging`,
          as: owner(),
          body: { captureEnabled: true, reason: { code: 'customer_requested_prompt_audit' } },
        })
        expect(res.statusCode).toBe(500)
        expectOpenAIError(res.json(), { code: 'audit_write_failed' })
      } finally {
        await restore()
      }
      expect(await h.services.requestLogs.getSettings(organizationId)).toMatchObject({
        captureEnabled: false,
        updatedAt: null,
      })
      capture({ organizationId })
      await h.runtime.requestLog.flush()
      expect(await countLogs(organizationId)).toBe(0)
    })
  })
}
