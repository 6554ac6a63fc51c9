import { Migrator, sql, type MigrationResult } from 'kysely'
import type { Db } from './database.js'
import { dialectOf } from './dialect-of.js'
import { MIGRATIONS } from './migrations/index.js'

async function createMigrator(db: Db): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours,
  // so another schema's migration table in the same PostgreSQL database is never mistaken for it.
  const schema =
    dialectOf(db) === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
}

export interface MigrateResult {
  applied: string[]
}

export class MigrationFailedError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`migration ${migration ?? '(unknown)'} failed`, { cause })
    this.name = 'MigrationFailedError'
  }
}

/**
 * Apply every pending migration. Kysely's migrator takes a lock in the database, so several
 * processes starting at once apply each migration exactly once.
 */
export async function migrateToLatest(db: Db): Promise<MigrateResult> {
  const { error, results } = await (await createMigrator(db)).migrateToLatest()
  const failed = results?.find((r: MigrationResult) => r.status === 'Error')
  if (error !== undefined) throw new MigrationFailedError(failed?.migrationName, error)
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  }
}

/** Names of migrations the database has not run yet (empty: the schema is current). */
export async function findPendingMigrations(db: Db): Promise<string[]> {
  const migrations = await (await createMigrator(db)).getMigrations()
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
