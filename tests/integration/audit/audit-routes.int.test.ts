import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AUDIT_CSV_COLUMNS,
  createAuditCheckpointer,
  createAuditSigner,
  startAuditCheckpointJob,
  verifyAuditDatabase,
  verifyAuditExport,
  verifyAuditSignature,
  type AuditEventRecord,
  type ExportManifest,
} from '../../../src/audit/index.js'
import { manifestStatement } from '../../../src/audit/audit-export.js'
import { dialectOf, type Db } from '../../../src/storage/index.js'
import { createLogger } from '../../../src/lib/logger.js'
import { createAdminHarness, SETUP_AUDIT, type AdminHarness } from '../../support/admin-harness.js'
import { testAuditContext } from '../../support/audit-fixtures.js'
import { createLogCapture } from '../../support/log-capture.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { TEST_MASTER_KEY } from '../../support/test-app.js'
import { testDialects } from '../../support/test-db.js'

interface EventList {
  object: 'list'
  data: (AuditEventRecord & { object: 'audit_event' })[]
  has_more: boolean
  next_cursor: string | null
}

interface Verification {
  ok: boolean
  key_id: string
  chains: {
    chain_id: string
    ok: boolean
    events: number
    last_sequence: string | null
    checkpoints_verified: number
    first_problem: { sequence: string; message: string } | null
  }[]
  first_problem: { chain_id: string; sequence: string; message: string } | null
}

/** Newest first, ties broken by id: the order the API promises. */
function newestFirst(a: { created_at: string; audit_event_id: string }, b: typeof a): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1
  return a.audit_event_id < b.audit_event_id ? 1 : -1
}

/** What an attacker with database access does first: remove the append-only triggers. */
async function dropAppendOnlyTriggers(db: Db) {
  if (dialectOf(db) === 'sqlite') {
    await sql`DROP TRIGGER audit_events_no_update`.execute(db)
  } else {
    await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(db)
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: the audit log over the admin API`, () => {
    let h: AdminHarness
    let auditor: { token: string }
    let auditorTokenId: string
    let orgA: string
    let orgB: string
    const seeded: { id: string; createdAt: string; organizationId: string }[] = []

    async function list(query: string, as: { token: string } = auditor) {
      const res = await h.request({ method: 'GET', url: `/audit-events${query}`, as })
      expect(res.statusCode, res.body).toBe(200)
      return res.json<EventList>()
    }

    async function eventsWithAction(action: string) {
      return h.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute()
    }

    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      const admin = await h.createAdmin({ role: 'security_auditor' })
      auditor = { token: await h.createToken(admin, 'auditor') }
      const [token] = await h.services.tokens.listTokens({ adminId: admin.adminId })
      auditorTokenId = token!.tokenId
      orgA = await h.createOrganization('Alpha')
      orgB = await h.createOrganization('Beta')
      // 30 events over two organizations, two actors, two actions; every third shares the
      // millisecond of the one before, so the id tie-break is exercised.
      for (let i = 0; i < 30; i++) {
        if (i % 3 !== 0) h.clock.advance(1)
        const organizationId = i % 3 === 0 ? orgA : orgB
        const event = await h.services.auditLog.record(
          testAuditContext({
            actor: { type: 'cli', id: `cli:seed-${i % 2}`, role: 'owner' },
            requestId: `req_seed_${i}`,
          }),
          {
            action: i % 2 === 0 ? 'organization.update' : 'api_key.rename',
            organizationId,
            target: { type: 'settings', id: `setting-${i}`, label: null },
            after: { name: `setting-${i}`, value: String(i) },
          },
        )
        seeded.push({ id: event.auditEventId, createdAt: event.createdAt, organizationId })
      }
    })
    afterAll(() => h.close())

    it('lists events newest first, in snake_case with the sequence as a string', async () => {
      const page = await list('?limit=500')
      expect(page.object).toBe('list')
      expect(page.has_more).toBe(false)
      expect(page.next_cursor).toBeNull()
      expect(page.data.length).toBeGreaterThan(30)
      expect([...page.data].sort(newestFirst)).toEqual(page.data)
      const event = page.data.find((e) => e.audit_event_id === seeded[4]!.id)!
      expect(event).toMatchObject({
        object: 'audit_event',
        organization_id: orgB,
        sequence: expect.stringMatching(/^\d+$/) as unknown,
        action: 'organization.update',
        category: 'organizations',
        actor_id: 'cli:seed-0',
        request_id: 'req_seed_4',
        target_type: 'settings',
        target_id: 'setting-4',
        after: { name: 'setting-4', value: '4' },
      })
      expect(event.hash).toMatch(/^[0-9a-f]{64}$/)
    })

    it('filters by organization, actor, action, category, target, request id and time', async () => {
      const byOrg = await list(`?organization_id=${orgA}&limit=500`)
      const inA = await h.db
        .selectFrom('audit_events')
        .select(['audit_event_id', 'created_at'])
        .where('organization_id', '=', orgA)
        .execute()
      expect(inA.length).toBe(seeded.filter((s) => s.organizationId === orgA).length + 1) // + create
      expect(byOrg.data.map((e) => e.audit_event_id)).toEqual(
        inA.sort(newestFirst).map((e) => e.audit_event_id),
      )

      const byActor = await list('?actor_id=cli:seed-1&limit=500')
      expect(byActor.data).toHaveLength(15)
      expect(byActor.data.every((e) => e.actor_id === 'cli:seed-1')).toBe(true)

      const byAction = await list(`?action=api_key.rename&organization_id=${orgB}&limit=500`)
      expect(byAction.data.length).toBeGreaterThan(0)
      expect(byAction.data.every((e) => e.action === 'api_key.rename')).toBe(true)
      expect(byAction.data.every((e) => e.organization_id === orgB)).toBe(true)

      const byCategory = await list('?category=api_keys&limit=500')
      expect(byCategory.data).toHaveLength(15)
      expect(byCategory.data.every((e) => e.category === 'api_keys')).toBe(true)

      const byTarget = await list('?target_type=settings&target_id=setting-7')
      expect(byTarget.data.map((e) => e.audit_event_id)).toEqual([seeded[7]!.id])

      const byRequest = await list('?request_id=req_seed_12')
      expect(byRequest.data.map((e) => e.audit_event_id)).toEqual([seeded[12]!.id])

      // Inclusive bounds; an offset is normalised to UTC.
      const from = seeded[10]!.createdAt
      const to = seeded[20]!.createdAt
      // The same instant as `to`, written two hours east of UTC.
      const toWithOffset = new Date(Date.parse(to) + 2 * 3_600_000)
        .toISOString()
        .replace('Z', '+02:00')
      const inRange = await list(
        `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(toWithOffset)}&limit=500`,
      )
      const expected = seeded.filter((s) => s.createdAt >= from && s.createdAt <= to)
      expect(inRange.data.map((e) => e.audit_event_id).sort()).toEqual(
        expected.map((s) => s.id).sort(),
      )
    })

    it('answers 400 naming the parameter for unknown actions, categories and bad values', async () => {
      for (const [query, param] of [
        ['?action=api_key.explode', 'action'],
        ['?category=weather', 'category'],
        ['?limit=501', 'limit'],
        ['?limit=0', 'limit'],
        ['?from=yesterday', 'from'],
        ['?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
        ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
        ['?colour=blue', 'colour'],
      ] as const) {
        const res = await h.request({ method: 'GET', url: `/audit-events${query}`, as: auditor })
        expect(res.statusCode, query).toBe(400)
        expectOpenAIError(res.json(), { type: 'invalid_request_error' })
        expect(res.json<{ error: { param: string } }>().error.param, query).toBe(param)
      }
    })

    it('pages with a cursor: newest first, no duplicates, no skips, while new events arrive', async () => {
      const expected = (
        await h.db
          .selectFrom('audit_events')
          .select(['audit_event_id', 'created_at'])
          .where('organization_id', '=', orgB)
          .execute()
      )
        .sort(newestFirst)
        .map((e) => e.audit_event_id)
      expect(expected.length).toBeGreaterThan(20)
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page = await list(
          `?organization_id=${orgB}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        )
        seen.push(...page.data.map((e) => e.audit_event_id))
        cursor = page.next_cursor
        expect(page.has_more).toBe(cursor !== null)
        pages += 1
        // A newer event in the same organization must not shift the pages still to come.
        await h.services.auditLog.record(testAuditContext(), {
          action: 'organization.update',
          organizationId: orgB,
          target: { type: 'settings', id: `late-${pages}`, label: null },
        })
      } while (cursor !== null)
      expect(seen).toEqual(expected)
      expect(pages).toBe(Math.ceil(expected.length / 3))
    })

    it('records one audit_log.view event per request, with the filters it used', async () => {
      const before = (await eventsWithAction('audit_log.view')).length
      const res = await h.request({
        method: 'GET',
        url: `/audit-events?organization_id=${orgA}&action=organization.update&limit=2`,
        as: auditor,
      })
      expect(res.statusCode).toBe(200)
      const views = await eventsWithAction('audit_log.view')
      expect(views).toHaveLength(before + 1)
      const view = views.find((v) => v.request_id === res.headers['x-request-id'])!
      expect(view).toMatchObject({
        actor_type: 'api_token',
        actor_id: auditorTokenId,
        category: 'data_access',
        organization_id: null,
        target_type: 'audit_log',
        target_id: orgA,
      })
      expect(JSON.parse(view.after_json!)).toEqual({
        filters: { organizationId: orgA, action: 'organization.update', limit: 2 },
        rows: 2,
      })
    })

    it('reads one event by id (recorded as a view) and answers 404 for an unknown id', async () => {
      const res = await h.request({
        method: 'GET',
        url: `/audit-events/${seeded[3]!.id}`,
        as: auditor,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ object: 'audit_event', audit_event_id: seeded[3]!.id })
      const view = (await eventsWithAction('audit_log.view')).find(
        (v) => v.request_id === res.headers['x-request-id'],
      )!
      expect(JSON.parse(view.after_json!)).toEqual({
        filters: { auditEventId: seeded[3]!.id },
        rows: 1,
      })

      const missing = await h.request({
        method: 'GET',
        url: '/audit-events/aud_00000000000000000000000000',
        as: auditor,
      })
      expect(missing.statusCode).toBe(404)
      expectOpenAIError(missing.json(), { code: 'not_found' })
    })

    it('refuses the log to a viewer, and its export to a viewer granted only audit.read', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const viewerToken = { token: await h.createToken(viewer) }
      const denied = await h.request({ method: 'GET', url: '/audit-events', as: viewerToken })
      expect(denied.statusCode).toBe(403)
      expectOpenAIError(denied.json(), { code: 'permission_denied' })

      await h.services.users.grantPermission(
        { audit: SETUP_AUDIT },
        { adminId: viewer.adminId, permission: 'audit.read' },
      )
      expect(
        (await h.request({ method: 'GET', url: '/audit-events?limit=1', as: viewerToken }))
          .statusCode,
      ).toBe(200)
      const exportsBefore = (await eventsWithAction('audit_log.export')).length
      for (const url of ['/audit-events/export?format=jsonl', '/audit-events/export?format=csv']) {
        const res = await h.request({ method: 'GET', url, as: viewerToken })
        expect(res.statusCode, url).toBe(403)
        expectOpenAIError(res.json(), { code: 'permission_denied' })
      }
      const checkpoint = await h.request({
        method: 'POST',
        url: '/audit/checkpoints',
        as: viewerToken,
      })
      expect(checkpoint.statusCode).toBe(403)
      expect(await eventsWithAction('audit_log.export')).toHaveLength(exportsBefore)
    })

    it('exports JSONL that verifies offline against the pinned public key', async () => {
      const keyRes = await h.request({ method: 'GET', url: '/audit/public-key', as: auditor })
      expect(keyRes.statusCode).toBe(200)
      const key = keyRes.json<{ key_id: string; algorithm: string; public_key: string }>()
      expect(key.algorithm).toBe('Ed25519')
      expect(key.public_key).toBe(createAuditSigner(TEST_MASTER_KEY).publicKey)

      const exportsBefore = (await eventsWithAction('audit_log.export')).length
      const res = await h.request({
        method: 'GET',
        url: '/audit-events/export?format=jsonl',
        as: auditor,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/)
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[^"]+\.jsonl"$/)
      const exportId = String(res.headers['x-ferry-export-id'])
      expect(exportId).toMatch(/^aex_/)

      const verification = verifyAuditExport(res.body, { trustedKeys: [key.public_key] })
      expect(verification.problems).toEqual([])
      expect(verification.warnings).toEqual([])
      expect(verification.ok).toBe(true)
      const chains = verification.chains.map((c) => c.chainId)
      expect(chains).toEqual(expect.arrayContaining(['platform', orgA, orgB]))
      // A key the export was not signed with is refused.
      const otherKey = createAuditSigner(Buffer.alloc(32, 9)).publicKey
      expect(verifyAuditExport(res.body, { trustedKeys: [otherKey] }).ok).toBe(false)

      // The export is itself an event, written before the first byte: the export contains it.
      const exportEvents = await eventsWithAction('audit_log.export')
      expect(exportEvents).toHaveLength(exportsBefore + 1)
      const event = exportEvents.find((e) => e.request_id === res.headers['x-request-id'])!
      expect(JSON.parse(event.after_json!)).toEqual({ filters: {}, format: 'jsonl', exportId })
      expect(res.body).toContain(event.audit_event_id)

      const stored = await h.request({
        method: 'GET',
        url: `/audit-exports/${exportId}`,
        as: auditor,
      })
      expect(stored.statusCode).toBe(200)
      const lines = res.body.trimEnd().split('\n')
      expect(stored.json()).toMatchObject({
        object: 'audit_export',
        export_id: exportId,
        format: 'jsonl',
        status: 'completed',
        manifest: JSON.parse(lines[lines.length - 1]!) as unknown,
      })
    })

    it("exports one organization's chain as a slice that verifies on its own", async () => {
      const from = seeded[9]!.createdAt
      const res = await h.request({
        method: 'GET',
        url: `/audit-events/export?organization_id=${orgA}&from=${encodeURIComponent(from)}`,
        as: auditor,
      })
      expect(res.statusCode, res.body).toBe(200)
      const { public_key } = (
        await h.request({ method: 'GET', url: '/audit/public-key', as: auditor })
      ).json<{ public_key: string }>()
      const verification = verifyAuditExport(res.body, { trustedKeys: [public_key] })
      expect(verification.ok).toBe(true)
      expect(verification.chains.map((c) => c.chainId)).toEqual([orgA])
      expect(verification.chains[0]!.events).toBe(
        seeded.filter((s) => s.organizationId === orgA && s.createdAt >= from).length,
      )
    })

    it('exports CSV whose signed manifest is retrievable and matches the bytes', async () => {
      const res = await h.request({
        method: 'GET',
        url: `/audit-events/export?format=csv&organization_id=${orgB}`,
        as: auditor,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/csv/)
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[^"]+\.csv"$/)
      const lines = res.body.trimEnd().split('\n')
      expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(','))

      const exportId = String(res.headers['x-ferry-export-id'])
      const stored = await h.request({
        method: 'GET',
        url: `/audit-exports/${exportId}`,
        as: auditor,
      })
      expect(stored.statusCode).toBe(200)
      const body = stored.json<{ status: string; format: string; manifest: ExportManifest }>()
      expect(body).toMatchObject({ status: 'completed', format: 'csv' })
      const { manifest } = body
      expect(manifest.sha256).toBe(createHash('sha256').update(res.rawPayload).digest('hex'))
      expect(manifest.rows).toBe(lines.length - 1)
      expect(manifest.chains).toEqual([orgB])
      const { signature, ...unsigned } = manifest
      expect(
        verifyAuditSignature({
          publicKey: createAuditSigner(TEST_MASTER_KEY).publicKey,
          payload: manifestStatement(unsigned),
          signature,
        }),
      ).toBe(true)

      const unknown = await h.request({
        method: 'GET',
        url: '/audit-exports/aex_00000000000000000000000000',
        as: auditor,
      })
      expect(unknown.statusCode).toBe(404)
    })

    it('writes a checkpoint of every chain on demand, audited, and verify reports ok', async () => {
      const before = (await eventsWithAction('audit_log.checkpoint')).length
      const res = await h.request({ method: 'POST', url: '/audit/checkpoints', as: auditor })
      expect(res.statusCode, res.body).toBe(201)
      const written = res.json<{ data: { chain_id: string; sequence: string }[] }>().data
      expect(written.map((c) => c.chain_id)).toEqual(
        expect.arrayContaining(['platform', orgA, orgB]),
      )
      const events = await eventsWithAction('audit_log.checkpoint')
      expect(events).toHaveLength(before + 1)
      expect(JSON.parse(events[events.length - 1]!.after_json!)).toEqual({
        chains: written.length,
      })

      const verify = await h.request({ method: 'POST', url: '/audit/verify', as: auditor })
      expect(verify.statusCode, verify.body).toBe(200)
      const result = verify.json<Verification>()
      expect(result.ok).toBe(true)
      expect(result.first_problem).toBeNull()
      const b = result.chains.find((c) => c.chain_id === orgB)!
      expect(b).toMatchObject({ ok: true, first_problem: null })
      expect(b.checkpoints_verified).toBeGreaterThanOrEqual(1)
      expect(b.last_sequence).toMatch(/^\d+$/)
      const verifyEvent = (await eventsWithAction('audit_log.verify')).find(
        (e) => e.request_id === verify.headers['x-request-id'],
      )!
      expect(verifyEvent.outcome).toBe('success')
    })

    it('signs checkpoints periodically, also when nothing happened', async () => {
      const logs = createLogCapture()
      const job = startAuditCheckpointJob({
        checkpointer: createAuditCheckpointer({
          db: h.db,
          clock: h.clock,
          signer: createAuditSigner(TEST_MASTER_KEY),
        }),
        intervalMs: 3_600_000,
        logger: createLogger({ level: 'debug', destination: logs.stream }),
      })
      const count = async () =>
        (await h.db.selectFrom('audit_checkpoints').select('checkpoint_id').execute()).length
      const chainCount = (await h.db.selectFrom('audit_chains').select('chain_id').execute()).length
      const before = await count()
      await job.runOnce()
      h.clock.advance(3_600_000)
      await job.runOnce() // nothing happened in between: a second statement of the same heads
      await job.stop()
      expect(await count()).toBe(before + 2 * chainCount)
      const platform = await h.db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('chain_id', '=', 'platform')
        .orderBy('created_at', 'desc')
        .limit(2)
        .execute()
      expect(platform[0]!.sequence).toBe(platform[1]!.sequence)
      expect(platform[0]!.created_at > platform[1]!.created_at).toBe(true)
      expect(logs.records().some((r) => r.level === 'error')).toBe(false)
      const verification = await verifyAuditDatabase(h.db, {
        trustedKeys: [createAuditSigner(TEST_MASTER_KEY).publicKey],
      })
      expect(verification.ok).toBe(true)
    })

    it('reports the first altered sequence after an attacker rewrites a row', async () => {
      const target = await h.db
        .selectFrom('audit_events')
        .select(['sequence'])
        .where('chain_id', '=', orgB)
        .orderBy('sequence')
        .offset(4)
        .limit(1)
        .executeTakeFirstOrThrow()
      await dropAppendOnlyTriggers(h.db)
      await h.db
        .updateTable('audit_events')
        .set({ actor_id: 'mallory' })
        .where('chain_id', '=', orgB)
        .where('sequence', '=', target.sequence)
        .execute()

      const verify = await h.request({
        method: 'POST',
        url: '/audit/verify',
        as: auditor,
        body: {},
      })
      expect(verify.statusCode, verify.body).toBe(200)
      const result = verify.json<Verification>()
      expect(result.ok).toBe(false)
      expect(result.first_problem).toMatchObject({
        chain_id: orgB,
        sequence: String(target.sequence),
      })
      const b = result.chains.find((c) => c.chain_id === orgB)!
      expect(b.ok).toBe(false)
      expect(b.first_problem!.sequence).toBe(String(target.sequence))
      expect(result.chains.find((c) => c.chain_id === orgA)!.ok).toBe(true)

      const verifyEvent = (await eventsWithAction('audit_log.verify')).find(
        (e) => e.request_id === verify.headers['x-request-id'],
      )!
      expect(verifyEvent.outcome).toBe('failure')
      expect(JSON.parse(verifyEvent.after_json!)).toMatchObject({
        ok: false,
        firstProblem: { chainId: orgB, sequence: String(target.sequence) },
      })

      // One chain only, on request.
      const one = await h.request({
        method: 'POST',
        url: '/audit/verify',
        as: auditor,
        body: { chain_id: orgA },
      })
      expect(one.json<Verification>()).toMatchObject({ ok: true, chains: [{ chain_id: orgA }] })
    })
  })
}
