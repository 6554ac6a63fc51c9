import type { Kysely } from 'kysely'

/**
 * Background job leases (src/jobs/job-leases.table.ts): one row per job, so each job runs once
 * per interval across every process sharing the database (ADR 0003).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_leases')
    .addColumn('job_name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_started_at', 'text')
    .addColumn('last_finished_at', 'text')
    .addColumn('run_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_leases').execute()
}
