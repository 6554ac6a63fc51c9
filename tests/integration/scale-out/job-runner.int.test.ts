import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobRunner, findJobRows, type JobRunner } from '../../../src/jobs/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { createLogger } from '../../../src/lib/logger.js'
import { createDb, type DatabaseHandle } from '../../../src/storage/index.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Issue #10: background jobs run once per interval across processes, not once per process.
 * Two runners, each on its own connection pool (as two processes would be), share one database.
 */
const logger = createLogger({ level: 'silent' })

for (const dialect of testDialects()) {
  describe(`${dialect}: job runners on one database`, () => {
    let testDb: TestDb
    let second: DatabaseHandle
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      // A second handle on the same database: another "process".
      second = createDb({ url: testDb.url, dataDir: testDb.dataDir })
    })
    afterAll(async () => {
      await second.close()
      await testDb.destroy()
    })

    it('runs each job once per interval whichever process ticks, also when both tick at once', async () => {
      const clock = createManualClock()
      const runs = { a: 0, b: 0 }
      const runner = (db: DatabaseHandle['db'], who: 'a' | 'b'): JobRunner =>
        createJobRunner({
          db,
          clock,
          logger,
          jobs: [
            {
              name: 'test.count',
              intervalMs: 1_000,
              run: () => Promise.resolve(void (runs[who] += 1)),
            },
          ],
        })
      const a = runner(testDb.db, 'a')
      const b = runner(second.db, 'b')
      for (let i = 0; i < 20; i++) {
        const ran = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()])
        expect(ran.flat()).toHaveLength(1) // due: exactly one of four concurrent ticks runs it
        expect((await Promise.all([a.tick(), b.tick()])).flat()).toEqual([]) // not due again
        clock.advance(i % 2 === 0 ? 1_000 : 1_500)
      }
      expect(runs.a + runs.b).toBe(20)
      const row = (await findJobRows(testDb.db)).find((r) => r.job_name === 'test.count')
      expect(row?.run_count).toBe(20n)
      expect(row?.owner_id).toBeNull()
    })

    it('takes over the run of a process that died mid-run once its lease expires', async () => {
      const clock = createManualClock()
      let bRuns = 0
      let releaseHung: () => void = () => undefined
      const hung = new Promise<void>((resolve) => (releaseHung = resolve))
      // leaseMs is long in real time, so no renewal fires during the test: A is as good as dead.
      const a = createJobRunner({
        db: testDb.db,
        clock,
        logger,
        leaseMs: 60_000,
        jobs: [{ name: 'test.takeover', intervalMs: 1_000, run: () => hung }],
      })
      const b = createJobRunner({
        db: second.db,
        clock,
        logger,
        leaseMs: 60_000,
        jobs: [
          {
            name: 'test.takeover',
            intervalMs: 1_000,
            run: () => Promise.resolve(void (bRuns += 1)),
          },
        ],
      })
      const aTick = a.tick() // claims the run, which never finishes
      for (
        let i = 0;
        i < 50 && (await findJobRows(testDb.db)).every((r) => r.owner_id === null);
        i++
      )
        await new Promise((r) => setTimeout(r, 10))
      clock.advance(5_000) // due again, but A's lease (60 s) is live
      expect(await b.tick()).toEqual([])
      clock.advance(60_000) // A's lease expired: B takes over
      expect(await b.tick()).toEqual(['test.takeover'])
      expect(bRuns).toBe(1)
      // A finishing late does not clear anything of B's, nor run again by itself.
      releaseHung()
      await aTick
      const row = (await findJobRows(testDb.db)).find((r) => r.job_name === 'test.takeover')
      expect(row?.run_count).toBe(2n)
      expect(row?.owner_id).toBeNull()
    })

    it('keeps the schedule after a failed run, and waits an interval for runAtStart: false', async () => {
      const clock = createManualClock()
      let attempts = 0
      const runner = createJobRunner({
        db: testDb.db,
        clock,
        logger,
        jobs: [
          {
            name: 'test.failing',
            intervalMs: 1_000,
            run: () => Promise.reject(new Error(`attempt ${++attempts}`)),
          },
          {
            name: 'test.later',
            intervalMs: 1_000,
            runAtStart: false,
            run: () => Promise.resolve(),
          },
        ],
      })
      expect(await runner.tick()).toEqual(['test.failing'])
      clock.advance(1_000)
      expect(await runner.tick()).toEqual(['test.failing', 'test.later'])
      expect(attempts).toBe(2)
      await runner.stop()
      expect(await runner.tick()).toEqual([])
    })
  })
}
