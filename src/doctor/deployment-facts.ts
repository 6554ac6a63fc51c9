import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { Config } from '../config/config.schema.js'
import { MASTER_KEY_FILE } from '../secrets/master-key.js'
import {
  createDb,
  findPendingMigrations,
  sqlitePath,
  type DatabaseHandle,
  type Db,
} from '../storage/index.js'
import { readFilesystemType } from './filesystem-type.js'

/** How far back the doctor looks at admin activity (client addresses). */
export const RECENT_ACTIVITY_MS = 30 * 24 * 60 * 60 * 1000

/**
 * What `ferry doctor` reads off a deployment, before any judgement (doctor-rules.ts judges).
 * Gathering never writes: no migration, no generated master key, no SQLite file created.
 */
export interface DeploymentFacts {
  nowMs: number
  config: Pick<Config, 'dataDir' | 'server' | 'billing' | 'audit' | 'requestLogs'> & {
    logLevel: string
    redisConfigured: boolean
  }
  /** The operator says a reverse proxy or load balancer sits in front (`--behind-proxy`). */
  behindProxy: boolean
  masterKey: { source: 'config' | 'file' | 'missing'; looseFileMode: boolean }
  database: DatabaseFacts
}

export type DatabaseFacts =
  | { state: 'missing'; dialect: 'sqlite'; location: string; filesystemType: string | undefined }
  | { state: 'unreachable'; dialect: 'sqlite' | 'postgres'; location: string; error: string }
  | ({
      state: 'open'
      location: string
      pendingMigrations: string[]
      /** Nothing below was read when migrations are pending (tables may not exist yet). */
      contents: DatabaseContents | null
    } & (
      | { dialect: 'sqlite'; filesystemType: string | undefined; backup: SqliteBackupFacts }
      | { dialect: 'postgres'; backup: PostgresBackupFacts }
    ))

export interface DatabaseContents {
  auditEvents: bigint
  lastCheckpointAt: string | null
  activeAdmins: number
  activeOwners: number
  activeOwnersWithMfa: number
  /** Unrevoked admin API tokens without an expiry. */
  tokensWithoutExpiry: number
  /** Client addresses of admin actions recorded over HTTP in the last 30 days. */
  recentAdminAddresses: { ip: string; events: number }[]
  /** Organizations with request-log capture on, with their retention. */
  captureOrganizations: { organizationId: string; retentionDays: number }[]
  /** Oldest captured content per organization (capture on or off: off keeps old rows). */
  oldestCaptured: { organizationId: string; createdAt: string; retentionDays: number | null }[]
}

export interface SqliteBackupFacts {
  /** A Litestream configuration naming this database, if one is found where Litestream looks. */
  litestreamConfig: string | undefined
}

export interface PostgresBackupFacts {
  archiveMode: string | undefined
  lastArchivedAt: string | null
  lastFailedAt: string | null
  replicas: number
}

/** Litestream's default config locations, and one beside the data. */
const LITESTREAM_CONFIGS = ['/etc/litestream.yml', '/etc/litestream.yaml']

export async function gatherDeploymentFacts(
  config: Config,
  options: { nowMs: number; behindProxy: boolean },
): Promise<DeploymentFacts> {
  return {
    nowMs: options.nowMs,
    config: {
      dataDir: config.dataDir,
      server: config.server,
      billing: config.billing,
      audit: config.audit,
      requestLogs: config.requestLogs,
      logLevel: config.log.level,
      redisConfigured: config.redis.url !== undefined,
    },
    behindProxy: options.behindProxy,
    masterKey: inspectMasterKey(config),
    database: await inspectDatabase(config, options.nowMs),
  }
}

/** Like loadOrCreateMasterKey, but never creates one and never reads the key itself. */
function inspectMasterKey(config: Config): DeploymentFacts['masterKey'] {
  if (config.masterKey !== undefined) return { source: 'config', looseFileMode: false }
  const path = join(config.dataDir, MASTER_KEY_FILE)
  if (!existsSync(path)) return { source: 'missing', looseFileMode: false }
  return { source: 'file', looseFileMode: (statSync(path).mode & 0o077) !== 0 }
}

async function inspectDatabase(config: Config, nowMs: number): Promise<DatabaseFacts> {
  const url = config.database.url
  const postgres = url !== undefined && /^postgres(ql)?:\/\//.test(url)
  const file = postgres ? undefined : sqlitePath(url, config.dataDir)
  if (file !== undefined && file !== ':memory:' && !existsSync(file)) {
    return {
      state: 'missing',
      dialect: 'sqlite',
      location: file,
      filesystemType: readFilesystemType(file),
    }
  }
  let handle: DatabaseHandle | undefined
  try {
    handle = createDb({
      url,
      dataDir: config.dataDir,
      poolMax: 1,
      connectTimeoutMs: config.database.connectTimeoutMs,
    })
    const pendingMigrations = await findPendingMigrations(handle.db)
    const contents = pendingMigrations.length === 0 ? await readContents(handle.db, nowMs) : null
    if (handle.dialect === 'postgres') {
      return {
        state: 'open',
        dialect: 'postgres',
        location: handle.location,
        pendingMigrations,
        contents,
        backup: await readPostgresBackup(handle.db),
      }
    }
    return {
      state: 'open',
      dialect: 'sqlite',
      location: handle.location,
      pendingMigrations,
      contents,
      filesystemType: file === undefined ? undefined : readFilesystemType(file),
      backup: { litestreamConfig: findLitestreamConfig(handle.location, config.dataDir) },
    }
  } catch (err) {
    return {
      state: 'unreachable',
      dialect: postgres ? 'postgres' : 'sqlite',
      location: handle?.location ?? file ?? 'postgres',
      error: err instanceof Error ? err.message : String(err),
    }
  } finally {
    await handle?.close()
  }
}

async function readContents(db: Db, nowMs: number): Promise<DatabaseContents> {
  const since = new Date(nowMs - RECENT_ACTIVITY_MS).toISOString()
  const [events, checkpoint, admins, tokens, addresses, capture, oldest] = await Promise.all([
    db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<bigint | number | string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_checkpoints')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .executeTakeFirst(),
    db
      .selectFrom('admin_users')
      .select(['role', 'totp_enabled_at'])
      .where('status', '=', 'active')
      .execute(),
    db
      .selectFrom('admin_tokens')
      .select((eb) => eb.fn.countAll<bigint | number | string>().as('n'))
      .where('revoked_at', 'is', null)
      .where('expires_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_events')
      .select(['actor_ip', (eb) => eb.fn.countAll<bigint | number | string>().as('n')])
      .where('actor_ip', 'is not', null)
      .where('created_at', '>=', since)
      .groupBy('actor_ip')
      .execute(),
    db
      .selectFrom('request_log_settings')
      .select(['organization_id', 'retention_days'])
      .where('capture_enabled', '=', 1)
      .orderBy('organization_id')
      .execute(),
    db
      .selectFrom('request_logs as l')
      .leftJoin('request_log_settings as s', 's.organization_id', 'l.organization_id')
      .select([
        'l.organization_id',
        's.retention_days',
        (eb) => eb.fn.min('l.created_at').as('oldest'),
      ])
      .groupBy(['l.organization_id', 's.retention_days'])
      .execute(),
  ])
  const owners = admins.filter((a) => a.role === 'owner')
  return {
    auditEvents: BigInt(events.n),
    lastCheckpointAt: (checkpoint?.at as string | null | undefined) ?? null,
    activeAdmins: admins.length,
    activeOwners: owners.length,
    activeOwnersWithMfa: owners.filter((a) => a.totp_enabled_at !== null).length,
    tokensWithoutExpiry: Number(tokens.n),
    recentAdminAddresses: addresses
      .map((row) => ({ ip: row.actor_ip as string, events: Number(row.n) }))
      .sort((a, b) => b.events - a.events),
    captureOrganizations: capture.map((row) => ({
      organizationId: row.organization_id,
      retentionDays: Number(row.retention_days),
    })),
    oldestCaptured: oldest.map((row) => ({
      organizationId: row.organization_id,
      createdAt: row.oldest,
      retentionDays: row.retention_days === null ? null : Number(row.retention_days),
    })),
  }
}

async function readPostgresBackup(db: Db): Promise<PostgresBackupFacts> {
  const mode = await sql<{ archive_mode: string }>`show archive_mode`.execute(db)
  const archiver = await sql<{
    last_archived_time: Date | null
    last_failed_time: Date | null
  }>`select last_archived_time, last_failed_time from pg_stat_archiver`.execute(db)
  const replicas = await sql<{ n: string | number | bigint }>`
    select count(*) as n from pg_stat_replication`.execute(db)
  const row = archiver.rows[0]
  return {
    archiveMode: mode.rows[0]?.archive_mode,
    lastArchivedAt: row?.last_archived_time?.toISOString() ?? null,
    lastFailedAt: row?.last_failed_time?.toISOString() ?? null,
    replicas: Number(replicas.rows[0]?.n ?? 0),
  }
}

function findLitestreamConfig(databasePath: string, dataDir: string): string | undefined {
  const candidates = [
    ...(process.env.LITESTREAM_CONFIG ? [process.env.LITESTREAM_CONFIG] : []),
    ...LITESTREAM_CONFIGS,
    join(dataDir, 'litestream.yml'),
  ]
  for (const candidate of candidates) {
    try {
      if (readFileSync(candidate, 'utf8').includes(databasePath)) return candidate
    } catch {
      // not there: the next place Litestream looks
    }
  }
  return undefined
}
