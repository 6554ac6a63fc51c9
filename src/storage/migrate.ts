import { Migrator, type MigrationResult } from 'kysely'
import type { Db } from './database.js'
import { MIGRATIONS } from './migrations/index.js'

function createMigrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
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
  const { error, results } = await createMigrator(db).migrateToLatest()
  const failed = results?.find((r: MigrationResult) => r.status === 'Error')
  if (error !== undefined) throw new MigrationFailedError(failed?.migrationName, error)
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  }
}

/** Names of migrations the database has not run yet (empty: the schema is current). */
export async function findPendingMigrations(db: Db): Promise<string[]> {
  const migrations = await createMigrator(db).getMigrations()
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
