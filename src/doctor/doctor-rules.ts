import { isIP } from 'node:net'
import { isNetworkFilesystem } from './filesystem-type.js'
import type { DatabaseContents, DeploymentFacts } from './deployment-facts.js'
import type { Finding } from './doctor-finding.js'

const DAY_MS = 24 * 60 * 60 * 1000
/** Captured prompts kept longer than this are called out: they are not an archive. */
const LONG_RETENTION_DAYS = 90
/** Share of recent admin actions from one private address that says "a proxy is in front". */
const PROXY_SHARE = 0.9
const PROXY_MIN_EVENTS = 3

/**
 * The operational checklist: each rule reads the facts and says what holds and what to fix.
 * Pure, so every rule is unit-tested against hand-made facts; deployment-facts.ts reads them.
 */
export function diagnose(facts: DeploymentFacts): Finding[] {
  const findings = [
    ...masterKeyRules(facts),
    ...proxyRules(facts),
    ...databaseRules(facts),
    ...holdsRules(facts),
    ...loggingRules(facts),
  ]
  const contents = facts.database.state === 'open' ? facts.database.contents : null
  if (contents) {
    findings.push(
      ...checkpointRules(facts, contents),
      ...adminRules(contents),
      ...retentionRules(facts, contents),
    )
  }
  return findings
}

function masterKeyRules(facts: DeploymentFacts): Finding[] {
  const { source, looseFileMode } = facts.masterKey
  if (source === 'config') {
    return [
      {
        id: 'master_key.provided',
        severity: 'ok',
        summary: 'The master key is provided by configuration (FERRY_MASTER_KEY or masterKey).',
        fix: '',
      },
    ]
  }
  const findings: Finding[] = [
    {
      id: 'master_key.generated',
      severity: 'high',
      summary:
        source === 'file'
          ? `The master key is the one generated into ${facts.config.dataDir}/master.key, not provided: it lives beside the data it protects, is copied with every backup of the data directory, and is lost with it.`
          : 'No master key is configured: the gateway will generate one into the data directory on first start.',
      fix: 'Keep a key in a secret manager and pass it as FERRY_MASTER_KEY (or FERRY_MASTER_KEY_FILE); to move an existing deployment, pass the same key that master.key holds, then delete the file.',
    },
  ]
  if (looseFileMode) {
    findings.push({
      id: 'master_key.file_mode',
      severity: 'high',
      summary: 'master.key is readable by its group or by other users.',
      fix: `chmod 600 ${facts.config.dataDir}/master.key`,
    })
  }
  return findings
}

function isPrivateOrLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number]
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  }
  const lower = ip.toLowerCase()
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd')
}

function proxyRules(facts: DeploymentFacts): Finding[] {
  const trusted = facts.config.server.trustedProxies
  if (trusted.some((p) => p === '0.0.0.0/0' || p === '::/0')) {
    return [
      {
        id: 'proxy.trust_everyone',
        severity: 'high',
        summary: `server.trustedProxies (${trusted.join(', ')}) trusts every address: any client can set X-Forwarded-For and choose the IP that rate limits and the audit log record.`,
        fix: 'List only the addresses of your load balancers or reverse proxies.',
      },
    ]
  }
  if (trusted.length > 0) {
    return [
      {
        id: 'proxy.trusted',
        severity: 'ok',
        summary: `X-Forwarded-For is believed only from ${trusted.join(', ')}.`,
        fix: '',
      },
    ]
  }
  const addresses =
    facts.database.state === 'open' ? (facts.database.contents?.recentAdminAddresses ?? []) : []
  const total = addresses.reduce((sum, a) => sum + a.events, 0)
  const top = addresses[0]
  const looksProxied =
    top !== undefined &&
    total >= PROXY_MIN_EVENTS &&
    top.events / total >= PROXY_SHARE &&
    isPrivateOrLoopback(top.ip)
  if (facts.behindProxy || looksProxied) {
    return [
      {
        id: 'proxy.untrusted',
        severity: 'high',
        summary: facts.behindProxy
          ? 'A proxy is in front (--behind-proxy) but server.trustedProxies is empty: every client appears as the proxy, so per-IP limits, login lockout and the audit log see one address.'
          : `server.trustedProxies is empty, yet ${top!.events} of the last ${total} admin actions over HTTP came from ${top!.ip}: that looks like a reverse proxy, so every client appears as it.`,
        fix: "Set server.trustedProxies (FERRY_TRUSTED_PROXIES) to your proxies' addresses or CIDRs.",
      },
    ]
  }
  return [
    {
      id: 'proxy.direct',
      severity: 'ok',
      summary: 'No sign of a reverse proxy without server.trustedProxies.',
      fix: '',
    },
  ]
}

function databaseRules(facts: DeploymentFacts): Finding[] {
  const database = facts.database
  const findings: Finding[] = []
  if (database.state === 'unreachable') {
    return [
      {
        id: 'database.unreachable',
        severity: 'high',
        summary: `The database at ${database.location} cannot be read: ${database.error}`,
        fix: 'Check database.url (FERRY_DATABASE_URL) and that the server is up; nothing else could be checked.',
      },
    ]
  }
  if (database.dialect === 'sqlite' && database.filesystemType !== undefined) {
    findings.push(
      isNetworkFilesystem(database.filesystemType)
        ? {
            id: 'database.sqlite_network_filesystem',
            severity: 'high',
            summary: `The SQLite database ${database.location} is on a ${database.filesystemType} network file system, where SQLite's file locks are unreliable: the database can be corrupted and acknowledged writes lost.`,
            fix: 'Put the data directory on a local disk, or use PostgreSQL (database.url).',
          }
        : {
            id: 'database.sqlite_local_filesystem',
            severity: 'ok',
            summary: `The SQLite database is on a local ${database.filesystemType} file system.`,
            fix: '',
          },
    )
  }
  if (database.state === 'missing') {
    findings.push({
      id: 'database.not_created',
      severity: 'low',
      summary: `No database at ${database.location} yet: checks of its contents were skipped.`,
      fix: 'Run `ferry migrate` or `ferry start`, then `ferry doctor` again.',
    })
    return findings
  }
  if (database.pendingMigrations.length > 0) {
    findings.push({
      id: 'database.migrations_pending',
      severity: 'high',
      summary: `${database.pendingMigrations.length} migration(s) not applied (${database.pendingMigrations.join(', ')}): the schema is older than this version of Ferry, and checks of its contents were skipped.`,
      fix: 'Run `ferry migrate` (or start the gateway with database.migrateOnStart).',
    })
  }
  findings.push(...backupRules(facts))
  return findings
}

function backupRules(facts: DeploymentFacts): Finding[] {
  const database = facts.database
  if (database.state !== 'open') return []
  if (database.dialect === 'sqlite') {
    return database.backup.litestreamConfig !== undefined
      ? [
          {
            id: 'backup.litestream',
            severity: 'ok',
            summary: `Litestream replicates the database (${database.backup.litestreamConfig}).`,
            fix: '',
          },
        ]
      : [
          {
            id: 'backup.not_seen',
            severity: 'medium',
            summary: `No backup of ${database.location} can be seen from here (no Litestream configuration names it).`,
            fix: 'Replicate it continuously (Litestream) or copy it with `sqlite3 ferry.db ".backup <file>"` on a schedule; a plain file copy of a live WAL database is not a backup. Ignore this if your volume is snapshotted.',
          },
        ]
  }
  const backup = database.backup
  if (
    backup.lastFailedAt !== null &&
    (backup.lastArchivedAt === null || backup.lastFailedAt > backup.lastArchivedAt)
  ) {
    return [
      {
        id: 'backup.archiving_failing',
        severity: 'high',
        summary: `PostgreSQL's WAL archiving is failing (last failure ${backup.lastFailedAt}, last success ${backup.lastArchivedAt ?? 'never'}).`,
        fix: 'Fix archive_command (see the PostgreSQL log); until then point-in-time recovery stops at the last archived segment.',
      },
    ]
  }
  if (backup.archiveMode === 'on' || backup.archiveMode === 'always' || backup.replicas > 0) {
    return [
      {
        id: 'backup.postgres',
        severity: 'ok',
        summary: `PostgreSQL archives its WAL (archive_mode ${backup.archiveMode ?? 'unknown'}) or streams to ${backup.replicas} replica(s).`,
        fix: '',
      },
    ]
  }
  return [
    {
      id: 'backup.not_seen',
      severity: 'medium',
      summary:
        'PostgreSQL neither archives its WAL (archive_mode off) nor streams to a replica that this connection can see.',
      fix: 'Turn on WAL archiving or base backups (pgBackRest, WAL-G, barman). Ignore this if your provider snapshots the database (RDS, Cloud SQL), which is invisible from here.',
    },
  ]
}

function holdsRules(facts: DeploymentFacts): Finding[] {
  if (facts.database.dialect === 'postgres' && facts.config.billing.holds === 'memory') {
    return [
      {
        id: 'billing.memory_holds_on_postgres',
        severity: 'medium',
        summary:
          'billing.holds is memory on PostgreSQL: correct for exactly one gateway process; a second process on the same database would let balances be overspent.',
        fix: 'Before running several processes (or --workers), set billing.holds: database (docs/scale-out.md).',
      },
    ]
  }
  if (
    facts.database.dialect === 'postgres' &&
    !facts.config.redisConfigured &&
    facts.config.billing.holds === 'database'
  ) {
    return [
      {
        id: 'redis.not_configured',
        severity: 'low',
        summary:
          'Several processes without Redis: rate limits are counted per process and invalidation falls back to PostgreSQL notifications.',
        fix: 'Set redis.url (FERRY_REDIS_URL) for shared rate limits.',
      },
    ]
  }
  return []
}

function loggingRules(facts: DeploymentFacts): Finding[] {
  const level = facts.config.logLevel
  if (level === 'debug' || level === 'trace') {
    return [
      {
        id: 'log.verbose',
        severity: 'low',
        summary: `log.level is ${level}: more is written than an incident needs.`,
        fix: 'Use info in production.',
      },
    ]
  }
  return []
}

function checkpointRules(facts: DeploymentFacts, contents: DatabaseContents): Finding[] {
  const interval = facts.config.audit.checkpointIntervalMs
  // Two intervals and some slack: one missed run is a restart, two is a job that does not run.
  const maxAgeMs = 2 * interval + 5 * 60_000
  if (contents.lastCheckpointAt === null) {
    return contents.auditEvents === 0n
      ? [
          {
            id: 'audit.no_events',
            severity: 'low',
            summary: 'The audit log is empty: nothing to checkpoint yet.',
            fix: 'Start the gateway; it signs a checkpoint every audit.checkpointIntervalMs.',
          },
        ]
      : [
          {
            id: 'audit.no_checkpoint',
            severity: 'high',
            summary: `The audit log holds ${contents.auditEvents} events and no signed checkpoint: a cut-off tail or a rewritten chain could not be detected.`,
            fix: 'Run the gateway (it checkpoints every audit.checkpointIntervalMs) or `ferry audit checkpoint`, and keep the exported checkpoints outside this database.',
          },
        ]
  }
  const ageMs = facts.nowMs - Date.parse(contents.lastCheckpointAt)
  if (ageMs > maxAgeMs) {
    return [
      {
        id: 'audit.checkpoint_stale',
        severity: 'high',
        summary: `The last signed audit checkpoint is from ${contents.lastCheckpointAt} (${Math.floor(ageMs / 3_600_000)} h ago; the interval is ${Math.round(interval / 60_000)} min): events since then are not covered.`,
        fix: 'Check that a gateway process is running and can take the audit-checkpoint job; `ferry audit checkpoint` signs one now.',
      },
    ]
  }
  return [
    {
      id: 'audit.checkpoint_recent',
      severity: 'ok',
      summary: `The last signed audit checkpoint is recent (${contents.lastCheckpointAt}).`,
      fix: '',
    },
  ]
}

function adminRules(contents: DatabaseContents): Finding[] {
  const findings: Finding[] = []
  if (contents.activeOwners === 0) {
    findings.push({
      id: 'admins.no_owner',
      severity: contents.activeAdmins === 0 ? 'low' : 'medium',
      summary:
        contents.activeAdmins === 0
          ? 'No admin exists yet.'
          : 'No active owner: nobody can manage owners or recover the deployment from the console.',
      fix: 'Create one: `ferry admin create --role owner --email …`.',
    })
  } else if (contents.activeOwnersWithMfa === 0) {
    findings.push({
      id: 'admins.owner_without_mfa',
      severity: 'high',
      summary: `None of the ${contents.activeOwners} active owner(s) has a second factor: one phished password is full control of keys, money and the audit log.`,
      fix: 'Have each owner enrol TOTP (console: Account → Two-factor authentication).',
    })
  } else {
    findings.push({
      id: 'admins.owner_mfa',
      severity: 'ok',
      summary: `${contents.activeOwnersWithMfa} of ${contents.activeOwners} active owner(s) sign in with a second factor.`,
      fix: '',
    })
  }
  if (contents.tokensWithoutExpiry > 0) {
    findings.push({
      id: 'admins.tokens_without_expiry',
      severity: 'low',
      summary: `${contents.tokensWithoutExpiry} admin API token(s) never expire.`,
      fix: 'Issue automation tokens with --expires-in and rotate them.',
    })
  }
  return findings
}

function retentionRules(facts: DeploymentFacts, contents: DatabaseContents): Finding[] {
  const findings: Finding[] = []
  const long = contents.captureOrganizations.filter((o) => o.retentionDays > LONG_RETENTION_DAYS)
  if (long.length > 0) {
    findings.push({
      id: 'retention.request_logs_long',
      severity: 'medium',
      summary: `${long.length} organization(s) keep captured prompts longer than ${LONG_RETENTION_DAYS} days (${long.map((o) => `${o.organizationId}: ${o.retentionDays} d`).join(', ')}).`,
      fix: 'Shorten their request-log retention unless a contract requires it.',
    })
  }
  // Content older than its retention plus two purge intervals means the purge is not running.
  const graceMs = 2 * facts.config.requestLogs.purgeIntervalMs
  const overdue = contents.oldestCaptured.filter(
    (o) =>
      o.retentionDays !== null &&
      facts.nowMs - Date.parse(o.createdAt) > o.retentionDays * DAY_MS + graceMs,
  )
  if (overdue.length > 0) {
    findings.push({
      id: 'retention.request_logs_overdue',
      severity: 'high',
      summary: `Captured prompts older than their retention are still stored for ${overdue.length} organization(s) (${overdue.map((o) => o.organizationId).join(', ')}): the retention purge is not running.`,
      fix: 'Check that a gateway process runs (it purges every requestLogs.purgeIntervalMs) and its log for request-log purge errors.',
    })
  }
  if (findings.length === 0) {
    findings.push({
      id: 'retention.request_logs',
      severity: 'ok',
      summary:
        contents.captureOrganizations.length === 0
          ? 'No organization captures prompts (usage metadata only).'
          : `${contents.captureOrganizations.length} organization(s) capture prompts, each within ${LONG_RETENTION_DAYS} days of retention and purged on time.`,
      fix: '',
    })
  }
  return findings
}
