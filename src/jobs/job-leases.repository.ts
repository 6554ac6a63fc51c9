import { sql } from 'kysely'
import type { Db } from '../storage/index.js'

/** Make sure a job has its row, first due at `firstRunAt`. Idempotent across processes. */
export async function ensureJobRow(
  db: Db,
  input: { jobName: string; firstRunAt: string },
): Promise<void> {
  await db
    .insertInto('job_leases')
    .values({ job_name: input.jobName, next_run_at: input.firstRunAt, run_count: 0n })
    .onConflict((oc) => oc.column('job_name').doNothing())
    .execute()
}

/**
 * Claim the job's next run: one conditional UPDATE, so of several processes trying at once
 * exactly one wins (PostgreSQL re-checks the condition on the locked row; SQLite writes one at
 * a time). Due, and nobody holding a live lease. Moves the schedule one interval on.
 */
export async function claimDueRun(
  db: Db,
  input: { jobName: string; ownerId: string; now: string; leaseUntil: string; nextRunAt: string },
): Promise<boolean> {
  const claimed = await db
    .updateTable('job_leases')
    .set({
      owner_id: input.ownerId,
      lease_expires_at: input.leaseUntil,
      next_run_at: input.nextRunAt,
      last_started_at: input.now,
      run_count: sql`run_count + 1`,
    })
    .where('job_name', '=', input.jobName)
    .where('next_run_at', '<=', input.now)
    .where((eb) => eb.or([eb('owner_id', 'is', null), eb('lease_expires_at', '<=', input.now)]))
    .returning('job_name')
    .executeTakeFirst()
  return claimed !== undefined
}

/** Extend the lease of a run still going; false when it is no longer ours (taken over). */
export async function renewLease(
  db: Db,
  input: { jobName: string; ownerId: string; leaseUntil: string },
): Promise<boolean> {
  const renewed = await db
    .updateTable('job_leases')
    .set({ lease_expires_at: input.leaseUntil })
    .where('job_name', '=', input.jobName)
    .where('owner_id', '=', input.ownerId)
    .returning('job_name')
    .executeTakeFirst()
  return renewed !== undefined
}

/** Give the lease up after a run (only if still ours). */
export async function finishRun(
  db: Db,
  input: { jobName: string; ownerId: string; now: string },
): Promise<void> {
  await db
    .updateTable('job_leases')
    .set({ owner_id: null, lease_expires_at: null, last_finished_at: input.now })
    .where('job_name', '=', input.jobName)
    .where('owner_id', '=', input.ownerId)
    .execute()
}

export function findJobRows(db: Db) {
  return db.selectFrom('job_leases').selectAll().orderBy('job_name').execute()
}
