import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuditWriteFailedError,
  ReasonRequiredError,
  createAuditCheckpointer,
  createAuditLog,
  createAuditSigner,
  exportAuditJsonl,
  purgeAuditChain,
  verifyAuditDatabase,
  verifyAuditExport,
  type AuditLog,
} from '../../../src/audit/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { dialectOf, findSetting } from '../../../src/storage/index.js'
import {
  OTHER_MASTER_KEY,
  TEST_MASTER_KEY,
  testAuditContext,
} from '../../support/audit-fixtures.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

const signer = createAuditSigner(TEST_MASTER_KEY)
const otherSigner = createAuditSigner(OTHER_MASTER_KEY)

/** A real admin-like change: write a setting and describe it. */
function setSetting(
  audit: AuditLog,
  options: { name: string; organizationId?: string; reason?: { code: string } },
) {
  return audit.run(
    testAuditContext({ reason: options.reason ?? null }),
    'organization.update',
    async (tx) => {
      await tx
        .insertInto('settings')
        .values({ name: options.name, value: 'v', updated_at: 'now' })
        .execute()
      return {
        result: options.name,
        event: {
          organizationId: options.organizationId ?? null,
          target: { type: 'settings', id: options.name, label: options.name },
          after: { name: options.name, value: 'v' },
        },
      }
    },
  )
}

async function exportText(testDb: TestDb, options: { organizationId?: string } = {}) {
  let text = ''
  for await (const chunk of exportAuditJsonl(
    { db: testDb.db, clock: createManualClock(), signer },
    options,
  ))
    text += chunk
  return text
}

for (const dialect of testDialects()) {
  describe(`${dialect}: audit log`, () => {
    let testDb: TestDb
    let audit: AuditLog
    const clock = createManualClock()
    beforeAll(async () => {
      testDb = await createTestDb(dialect, { poolMax: 20 })
      audit = createAuditLog({ db: testDb.db, clock })
    })
    afterAll(() => testDb.destroy())

    it('writes one chained event per change, in the same transaction', async () => {
      await setSetting(audit, { name: 'a1', organizationId: 'org_a' })
      await setSetting(audit, { name: 'a2', organizationId: 'org_a' })
      const events = await testDb.db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', 'org_a')
        .orderBy('sequence')
        .execute()
      expect(events.map((e) => e.sequence)).toEqual([1n, 2n])
      expect(events[1]!.previous_hash).toBe(events[0]!.hash)
      expect(events[0]).toMatchObject({
        action: 'organization.update',
        category: 'organizations',
        actor_type: 'cli',
        outcome: 'success',
      })
      expect((await verifyAuditDatabase(testDb.db, { trustedKeys: [signer.publicKey] })).ok).toBe(
        true,
      )
    })

    it('refuses a high-risk action without a reason, changing nothing', async () => {
      await expect(
        audit.run(testAuditContext(), 'api_key.revoke', async (tx) => {
          await tx
            .insertInto('settings')
            .values({ name: 'never', value: 'v', updated_at: 'now' })
            .execute()
          return { result: null, event: {} }
        }),
      ).rejects.toBeInstanceOf(ReasonRequiredError)
      expect(await findSetting(testDb.db, 'never')).toBeUndefined()
    })

    it('rolls the change back when its audit event cannot be written', async () => {
      const failing =
        dialectOf(testDb.db) === 'sqlite'
          ? sql`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'injected'); END`
          : sql`CREATE OR REPLACE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$;
                CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_audit()`
      await failing.execute(testDb.db)
      try {
        await expect(setSetting(audit, { name: 'rolled-back' })).rejects.toBeInstanceOf(
          AuditWriteFailedError,
        )
        expect(await findSetting(testDb.db, 'rolled-back')).toBeUndefined()
      } finally {
        await sql`DROP TRIGGER fail_audit${dialectOf(testDb.db) === 'postgres' ? sql` ON audit_events` : sql``}`.execute(
          testDb.db,
        )
      }
    })

    it('refuses UPDATE and DELETE on audit rows in the database itself', async () => {
      await expect(
        sql`UPDATE audit_events SET actor_id = 'mallory'`.execute(testDb.db),
      ).rejects.toThrow(/append-only/)
      await expect(sql`DELETE FROM audit_events`.execute(testDb.db)).rejects.toThrow(/append-only/)
      await createAuditCheckpointer({ db: testDb.db, clock, signer }).writeCheckpoints()
      await expect(sql`DELETE FROM audit_checkpoints`.execute(testDb.db)).rejects.toThrow(
        /append-only/,
      )
      if (dialect === 'postgres') {
        await expect(sql`TRUNCATE audit_events`.execute(testDb.db)).rejects.toThrow(/append-only/)
      }
    })

    it('keeps a gapless sequence and a valid chain under 200 concurrent changes', async () => {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          setSetting(audit, { name: `c${i}`, organizationId: 'org_busy' }),
        ),
      )
      const rows = await testDb.db
        .selectFrom('audit_events')
        .select('sequence')
        .where('chain_id', '=', 'org_busy')
        .orderBy('sequence')
        .execute()
      expect(rows.map((r) => r.sequence)).toEqual(
        Array.from({ length: 200 }, (_, i) => BigInt(i + 1)),
      )
      const result = await verifyAuditDatabase(testDb.db, {
        trustedKeys: [signer.publicKey],
        chainId: 'org_busy',
      })
      expect(result.ok).toBe(true)
    })

    it('signs checkpoints for every chain, also when nothing happened', async () => {
      const checkpointer = createAuditCheckpointer({ db: testDb.db, clock, signer })
      const first = await checkpointer.writeCheckpoints()
      clock.advance(60_000)
      const second = await checkpointer.writeCheckpoints()
      expect(second.map((c) => [c.chain_id, c.sequence])).toEqual(
        first.map((c) => [c.chain_id, c.sequence]),
      )
      expect(second.some((c) => c.chain_id === 'platform')).toBe(true)
      const result = await verifyAuditDatabase(testDb.db, { trustedKeys: [signer.publicKey] })
      expect(result.firstProblem?.message).toBeUndefined()
      expect(result.ok).toBe(true)
      expect(result.chains.reduce((n, c) => n + c.checkpointsVerified, 0)).toBeGreaterThanOrEqual(
        second.length,
      )
    })

    it('detects a database row changed behind its back (triggers dropped by an attacker)', async () => {
      const tamper = await createTestDb(dialect)
      try {
        const local = createAuditLog({ db: tamper.db, clock })
        for (let i = 0; i < 5; i++)
          await setSetting(local, { name: `t${i}`, organizationId: 'org_t' })
        await createAuditCheckpointer({ db: tamper.db, clock, signer }).writeCheckpoints({
          chainId: 'org_t',
        })
        await dropAuditTriggers(tamper)
        await sql`UPDATE audit_events SET actor_id = 'mallory' WHERE chain_id = 'org_t' AND sequence = 3`.execute(
          tamper.db,
        )
        const altered = await verifyAuditDatabase(tamper.db, {
          trustedKeys: [signer.publicKey],
          chainId: 'org_t',
        })
        expect(altered.firstProblem?.sequence).toBe(3n)
        await sql`DELETE FROM audit_events WHERE chain_id = 'org_t' AND sequence >= 3`.execute(
          tamper.db,
        )
        const truncated = await verifyAuditDatabase(tamper.db, {
          trustedKeys: [signer.publicKey],
          chainId: 'org_t',
        })
        expect(truncated.ok).toBe(false)
        expect(truncated.firstProblem?.sequence).toBe(3n)
        expect(truncated.firstProblem?.message).toMatch(/removed from the end/)
      } finally {
        await tamper.destroy()
      }
    })

    it('purges through a retention anchor and still verifies, and records the purge', async () => {
      for (let i = 0; i < 5; i++)
        await setSetting(audit, { name: `p${i}`, organizationId: 'org_p' })
      const { purged } = await purgeAuditChain(
        { db: testDb.db, clock, signer },
        { chainId: 'org_p', throughSequence: 3n, job: 'audit:retention' },
      )
      expect(purged).toBe(3)
      const rows = await testDb.db
        .selectFrom('audit_events')
        .select(['sequence', 'action', 'actor_type'])
        .where('chain_id', '=', 'org_p')
        .orderBy('sequence')
        .execute()
      expect(rows.map((r) => r.sequence)).toEqual([4n, 5n, 6n])
      expect(rows[2]).toMatchObject({ action: 'audit_log.retention_purge', actor_type: 'system' })
      expect(
        (
          await verifyAuditDatabase(testDb.db, {
            trustedKeys: [signer.publicKey],
            chainId: 'org_p',
          })
        ).ok,
      ).toBe(true)
      expect(
        verifyAuditExport(await exportText(testDb, { organizationId: 'org_p' }), {
          trustedKeys: [signer.publicKey],
        }).ok,
      ).toBe(true)
      await expect(
        sql`DELETE FROM audit_events WHERE chain_id = 'org_p'`.execute(testDb.db),
      ).rejects.toThrow(/append-only/)
    })

    describe('exports', () => {
      let text: string
      beforeAll(async () => {
        for (let i = 0; i < 6; i++)
          await setSetting(audit, { name: `e${i}`, organizationId: 'org_e' })
        await createAuditCheckpointer({ db: testDb.db, clock, signer }).writeCheckpoints({
          chainId: 'org_e',
        })
        text = await exportText(testDb, { organizationId: 'org_e' })
      })
      const lines = () => text.trimEnd().split('\n')
      const eventIndex = (sequence: number) =>
        lines().findIndex(
          (l) => l.includes('"type":"event"') && l.includes(`"sequence":"${sequence}"`),
        )
      const verify = (t: string) => verifyAuditExport(t, { trustedKeys: [signer.publicKey] })

      it('verifies a valid export', () => {
        const result = verify(text)
        expect(result.problems).toEqual([])
        expect(result.firstProblem?.message).toBeUndefined()
        expect(result.ok).toBe(true)
        expect(result.chains[0]).toMatchObject({
          chainId: 'org_e',
          events: 6,
          checkpointsVerified: 1,
        })
      })

      it('detects a flipped byte', () => {
        const all = lines()
        all[eventIndex(4)] = all[eventIndex(4)]!.replace(
          '"outcome":"success"',
          '"outcome":"successs"',
        )
        const result = verify(`${all.join('\n')}\n`)
        expect(result.ok).toBe(false)
        expect(result.firstProblem?.sequence).toBe(4n)
      })

      it('detects a deleted middle row', () => {
        const all = lines()
        all.splice(eventIndex(3), 1)
        expect(verify(`${all.join('\n')}\n`).firstProblem?.sequence).toBe(3n)
      })

      it('detects two swapped rows', () => {
        const all = lines()
        const a = eventIndex(2)
        const b = eventIndex(5)
        ;[all[a], all[b]] = [all[b]!, all[a]!]
        expect(verify(`${all.join('\n')}\n`).firstProblem?.sequence).toBe(2n)
      })

      it('detects a truncated tail', () => {
        const all = lines()
        const truncated = all.slice(0, eventIndex(5))
        expect(verify(`${truncated.join('\n')}\n`).ok).toBe(false)
      })

      it('detects a row moved to another organization', () => {
        const all = lines()
        all[eventIndex(2)] = all[eventIndex(2)]!.replace(
          '"organization_id":"org_e"',
          '"organization_id":"org_x"',
        )
        expect(verify(`${all.join('\n')}\n`).firstProblem?.sequence).toBe(2n)
      })

      it('detects a signing key it does not trust', () => {
        const result = verifyAuditExport(text, { trustedKeys: [otherSigner.publicKey] })
        expect(result.ok).toBe(false)
        expect(result.problems.join(' ')).toMatch(/unknown key/)
        expect(result.firstProblem?.message).toMatch(/unknown key/)
      })
    })
  })
}

async function dropAuditTriggers(testDb: TestDb) {
  if (testDb.dialect === 'sqlite') {
    await sql`DROP TRIGGER audit_events_no_update`.execute(testDb.db)
    await sql`DROP TRIGGER audit_events_no_delete`.execute(testDb.db)
  } else {
    await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(testDb.db)
  }
}
