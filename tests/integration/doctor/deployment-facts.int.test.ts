import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditCheckpointer, createAuditSigner } from '../../../src/audit/index.js'
import { ConfigSchema } from '../../../src/config/config.schema.js'
import { diagnose, gatherDeploymentFacts, hasHighRisk } from '../../../src/doctor/index.js'
import { createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { dumpAllTables } from '../../support/dump-tables.js'
import { testDialects } from '../../support/test-db.js'

const DAY_MS = 86_400_000
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64')

/**
 * `ferry doctor` reads a real database on both dialects: admins and their second factor, the
 * last signed checkpoint, who captures prompts and whether the purge keeps up, and where admin
 * requests come from. And it writes nothing while doing so.
 */
describe.each(testDialects())('ferry doctor on %s', (dialect) => {
  let h: AdminHarness
  let organizationId: string

  beforeAll(async () => {
    h = await createAdminHarness(dialect)
    organizationId = await h.createOrganization('Doctor Patient')
  })
  afterAll(() => h.close())

  const config = (overrides: Record<string, unknown> = {}) =>
    ConfigSchema.parse({
      masterKey: MASTER_KEY,
      dataDir: h.testDb.dataDir,
      database: { url: h.testDb.url },
      ...overrides,
    })
  const check = async (nowMs: number, overrides?: Record<string, unknown>) => {
    const facts = await gatherDeploymentFacts(config(overrides), { nowMs, behindProxy: false })
    return { facts, findings: diagnose(facts) }
  }
  const highIds = (findings: ReturnType<typeof diagnose>) =>
    findings.filter((f) => f.severity === 'high').map((f) => f.id)

  it('reads the database without changing it', async () => {
    const before = await dumpAllTables(h.db)
    const { facts } = await check(h.clock.nowMs())
    expect(facts.database.state).toBe('open')
    expect(facts.database.dialect).toBe(dialect)
    expect(await dumpAllTables(h.db)).toEqual(before)
  })

  it('an owner without a second factor and no checkpoint are high risk; fixing both clears them', async () => {
    const first = await check(h.clock.nowMs())
    expect(highIds(first.findings)).toEqual(
      expect.arrayContaining(['admins.owner_without_mfa', 'audit.no_checkpoint']),
    )
    if (first.facts.database.state !== 'open') throw new Error('database not open')
    expect(first.facts.database.contents).toMatchObject({ activeOwners: 1, activeOwnersWithMfa: 0 })

    // The owner enrols TOTP (the enrolment flow is tested elsewhere; here only its result).
    await h.db
      .updateTable('admin_users')
      .set({ totp_enabled_at: new Date(h.clock.nowMs()).toISOString() })
      .where('admin_id', '=', h.owner.adminId)
      .execute()
    await createAuditCheckpointer({
      db: h.db,
      clock: h.clock,
      signer: createAuditSigner(Buffer.from(MASTER_KEY, 'base64')),
    }).writeCheckpoints()

    const fixed = await check(h.clock.nowMs())
    expect(highIds(fixed.findings)).toEqual([])
    expect(hasHighRisk(fixed.findings)).toBe(false)
    // Three hours later with a 1 h interval, the checkpoint job is evidently not running.
    const later = await check(h.clock.nowMs() + 3 * 3_600_000)
    expect(highIds(later.findings)).toEqual(['audit.checkpoint_stale'])
  })

  it('sees captured prompts the retention purge should have deleted', async () => {
    const optIn = await h.request({
      method: 'PUT',
      url: `/orgs/${organizationId}/request-logging`,
      as: { token: h.ownerToken },
      body: {
        captureEnabled: true,
        retentionDays: 7,
        reason: { code: 'customer_requested_prompt_audit' },
      },
    })
    expect(optIn.statusCode).toBe(200)
    await h.db
      .insertInto('request_logs')
      .values({
        request_id: 'req_doctor_old',
        organization_id: organizationId,
        endpoint: 'chat.completions',
        created_at: new Date(h.clock.nowMs()).toISOString(),
        request_json: '{}',
        response_json: null,
        masked_count: 0,
        truncated: 0,
      })
      .execute()
    const onTime = await check(h.clock.nowMs() + 3 * DAY_MS)
    expect(onTime.findings.map((f) => f.id)).not.toContain('retention.request_logs_overdue')
    if (onTime.facts.database.state !== 'open') throw new Error('database not open')
    expect(onTime.facts.database.contents?.captureOrganizations).toEqual([
      { organizationId, retentionDays: 7 },
    ])
    const overdue = await check(h.clock.nowMs() + 9 * DAY_MS, {
      audit: { checkpointIntervalMs: 30 * DAY_MS },
    })
    expect(highIds(overdue.findings)).toEqual(['retention.request_logs_overdue'])
  })

  it('admin actions that all come from one private address point at an untrusted proxy', async () => {
    // Ten from the proxy's address against the one earlier action from the test's loopback.
    for (let i = 0; i < 10; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/admin/v1/orgs',
        headers: { authorization: `Bearer ${h.ownerToken}` },
        remoteAddress: '10.1.2.3',
        payload: { name: `Proxied ${i}` },
      })
      expect(res.statusCode).toBe(201)
    }
    const { findings } = await check(h.clock.nowMs(), {
      audit: { checkpointIntervalMs: 30 * DAY_MS },
    })
    expect(findings.find((f) => f.id === 'proxy.untrusted')?.summary ?? '').toContain('10.1.2.3')
    const trusted = await check(h.clock.nowMs(), {
      server: { trustedProxies: ['10.0.0.0/8'] },
      audit: { checkpointIntervalMs: 30 * DAY_MS },
    })
    expect(trusted.findings.map((f) => f.id)).toContain('proxy.trusted')
  })
})
