import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EvidenceDocument } from '../../src/evidence/index.js'
import { createDb } from '../../src/storage/index.js'
import { createAdminHarness } from '../support/admin-harness.js'
import {
  DISPUTE_APP_OPTIONS,
  scriptDispute,
  type ScriptedDispute,
} from '../support/evidence-dispute.js'
import { runFerry } from '../support/ferry-process.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, type TestDb } from '../support/test-db.js'

/**
 * `ferry evidence` against a SQLite data directory that holds the scripted dispute: the
 * readable report, the API's JSON document, a signed bundle that `ferry audit verify` accepts
 * offline, and a tampered copy it refuses, naming the altered event.
 */
describe('ferry evidence (CLI)', () => {
  let testDb: TestDb
  let dispute: ScriptedDispute
  let publicKey: string
  const env = { FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('base64') }

  beforeAll(async () => {
    testDb = await createTestDb('sqlite')
    const h = await createAdminHarness('sqlite', { testDb, app: DISPUTE_APP_OPTIONS })
    dispute = await scriptDispute(h, { requestId: 'req_dispute_cli' })
    await h.runtime.auditCheckpointer.writeCheckpoints({ chainId: dispute.organizationId })
    publicKey = h.services.audit.publicKey.publicKey
    await h.close()
    await testDb.close()
  })
  afterAll(() => testDb.destroy())

  async function ferry(args: string[]) {
    const proc = runFerry([...args], { env })
    const { code } = await proc.exited
    return { code, stdout: proc.stdout.join(''), stderr: proc.stderr.join('') }
  }
  const data = () => ['--data-dir', testDb.dataDir]

  it('prints the report, the JSON document and a bundle that verifies; a tampered copy fails', async () => {
    const report = await ferry(['evidence', dispute.requestId, ...data()])
    expect(report.code, report.stderr).toBe(0)
    for (const section of [
      'Request & usage',
      'Money',
      'Routing & budget',
      'Admin actions',
      'Chain proof',
    ])
      expect(report.stdout).toContain(section)
    expect(report.stdout).toContain('stream client_aborted')
    expect(report.stdout).toContain('fallback: ')
    expect(report.stdout).toContain('billing.refund (refund')
    expect(report.stdout).toContain('reason billing_dispute_refund')
    expect(report.stdout).not.toContain(dispute.otherRequestId)

    const json = await ferry(['evidence', dispute.requestId, '--json', ...data()])
    expect(json.code, json.stderr).toBe(0)
    const doc = JSON.parse(json.stdout) as EvidenceDocument
    expect(doc.requestId).toBe(dispute.requestId)
    expect(doc.auditEvents.map((e) => e.proof.status)).toEqual([
      'checkpointed',
      'checkpointed',
      'checkpointed',
    ])

    const file = join(testDb.dataDir, 'evidence.json')
    const written = await ferry(['evidence', dispute.requestId, '--bundle', file, ...data()])
    expect(written.code, written.stderr).toBe(0)
    const verified = await ferry(['audit', 'verify', file, '--public-key', publicKey])
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.stdout).toContain('evidence bundle verified')
    expect(verified.stdout.match(/: verified$/gm)).toHaveLength(3)

    const refundEventId = doc.auditEvents[2]!.event.audit_event_id
    const tampered = join(testDb.dataDir, 'tampered.json')
    const original = readFileSync(file, 'utf8')
    const changed = original.replace(
      '"reason_code": "billing_dispute_refund"',
      '"reason_code": "billing_dispute_refunD"',
    )
    expect(changed).not.toBe(original)
    writeFileSync(tampered, changed)
    const failed = await ferry(['audit', 'verify', tampered, '--public-key', publicKey])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('bundle signature is invalid')
    expect(failed.stderr).toContain(`audit event ${refundEventId} (billing.refund`)

    const unknown = await ferry(['evidence', 'req_never_seen', ...data()])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("Nothing is recorded for request 'req_never_seen'")

    // Each run recorded its own read, as the operator at the CLI.
    const handle = createDb({ url: `sqlite:${join(testDb.dataDir, 'ferry.db')}`, dataDir: '.' })
    const reads = await handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'target_id'])
      .where('action', 'in', ['evidence.view', 'evidence.export'])
      .execute()
    await handle.close()
    expect(reads.map((r) => r.action).sort()).toEqual([
      'evidence.export',
      'evidence.view',
      'evidence.view',
    ])
    expect(reads.every((r) => r.actor_type === 'cli' && r.target_id === dispute.requestId)).toBe(
      true,
    )
    // Six CLI processes under tsx on a shared 2-core machine.
  }, 120_000)
})
