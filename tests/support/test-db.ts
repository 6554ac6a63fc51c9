import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import {
  createDb,
  migrateToLatest,
  type DatabaseHandle,
  type Dialect,
} from '../../src/storage/index.js'
import { recordReliability } from './reliability-log.js'
import { describeHits, scanPostgresSchema, scanSqliteFiles, type SecretHit } from './secret-scan.js'
import { TEST_POSTGRES_URL } from './services.js'

/**
 * The dialects integration suites run on: TEST_DIALECTS (comma list) or both, minus PostgreSQL
 * when the global setup found it unreachable (that skip is announced there).
 */
export function testDialects(): Dialect[] {
  const wanted = (process.env.TEST_DIALECTS ?? 'sqlite,postgres')
    .split(',')
    .map((d) => d.trim())
    .filter((d): d is Dialect => d === 'sqlite' || d === 'postgres')
  return wanted.filter((d) => d !== 'postgres' || inject('postgresAvailable'))
}

export interface TestDb extends DatabaseHandle {
  /** For PostgreSQL, a URL whose search_path is this suite's schema (to start a process on it). */
  readonly url: string
  readonly dataDir: string
  /**
   * Close and delete everything this test database created, after scanning it for leaked key
   * secrets. Every suite ends with this, not with `close()` alone: `close()` (the handle's)
   * leaves the PostgreSQL schema and the data directory behind and skips the scan.
   */
  destroy(): Promise<void>
}

/**
 * A fresh database with the real migrations applied: a new SQLite file, or a new PostgreSQL
 * schema in the test database. Nothing is shared between suites.
 */
export async function createTestDb(
  dialect: Dialect,
  options: { migrate?: boolean; poolMax?: number } = {},
): Promise<TestDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-test-'))
  let handle: DatabaseHandle
  let url: string
  let dropSchema = async () => {}
  let scanForSecrets = (): Promise<SecretHit[]> => Promise.resolve([])
  if (dialect === 'sqlite') {
    url = `sqlite:${join(dataDir, 'ferry.db')}`
    handle = createDb({ url, dataDir })
    scanForSecrets = () => Promise.resolve(scanSqliteFiles(join(dataDir, 'ferry.db')))
  } else {
    const schema = `ferry_test_${randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    await admin.end()
    const base = new URL(TEST_POSTGRES_URL)
    base.searchParams.set('options', `-c search_path=${schema}`)
    url = base.toString()
    handle = createDb({
      url: TEST_POSTGRES_URL,
      dataDir,
      searchPath: schema,
      poolMax: options.poolMax ?? 10,
    })
    scanForSecrets = () => scanPostgresSchema(TEST_POSTGRES_URL, schema)
    dropSchema = async () => {
      const cleaner = new pg.Client({ connectionString: TEST_POSTGRES_URL })
      await cleaner.connect()
      await cleaner.query(`drop schema if exists ${schema} cascade`)
      await cleaner.end()
    }
  }
  if (options.migrate ?? true) await migrateToLatest(handle.db)
  return {
    ...handle,
    url,
    dataDir,
    destroy: async () => {
      await handle.close().catch(() => undefined) // a test may have closed it already
      // The canary scan over every test database (issue 11): whatever the suite did, no full
      // Ferry key secret may be at rest. Read before deleting; fail the suite that leaked.
      const hits = await scanForSecrets()
      await dropSchema()
      rmSync(dataDir, { recursive: true, force: true })
      recordReliability({
        area: 'secrets',
        check: `no Ferry key secret at rest in a test database (${dialect})`,
        cases: 1,
        failures: hits.length > 0 ? 1 : 0,
        expectation: 'every suite’s database, scanned when it is destroyed: zero hits',
      })
      if (hits.length > 0) throw new Error(`secret found at rest: ${describeHits(hits)}`)
    },
  }
}
