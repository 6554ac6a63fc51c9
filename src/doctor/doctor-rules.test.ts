import { describe, expect, it } from 'vitest'
import { ConfigSchema } from '../config/config.schema.js'
import type { DatabaseContents, DeploymentFacts } from './deployment-facts.js'
import { hasHighRisk, type Finding } from './doctor-finding.js'
import { diagnose } from './doctor-rules.js'

const NOW = Date.parse('2026-06-15T12:00:00.000Z')

function contents(overrides: Partial<DatabaseContents> = {}): DatabaseContents {
  return {
    auditEvents: 10n,
    lastCheckpointAt: new Date(NOW - 30 * 60_000).toISOString(),
    activeAdmins: 2,
    activeOwners: 1,
    activeOwnersWithMfa: 1,
    tokensWithoutExpiry: 0,
    recentAdminAddresses: [],
    captureOrganizations: [],
    oldestCaptured: [],
    ...overrides,
  }
}

/** A deployment every rule is happy with; each test breaks one thing. */
function healthy(
  overrides: {
    config?: Record<string, unknown>
    contents?: Partial<DatabaseContents>
    database?: Partial<Extract<DeploymentFacts['database'], { state: 'open' }>>
    facts?: Partial<DeploymentFacts>
  } = {},
): DeploymentFacts {
  const config = ConfigSchema.parse({ masterKey: 'x', ...overrides.config })
  return {
    nowMs: NOW,
    config: {
      dataDir: config.dataDir,
      server: config.server,
      billing: config.billing,
      audit: config.audit,
      requestLogs: config.requestLogs,
      logLevel: config.log.level,
      redisConfigured: config.redis.url !== undefined,
    },
    behindProxy: false,
    masterKey: { source: 'config', looseFileMode: false },
    database: {
      state: 'open',
      dialect: 'sqlite',
      location: '/var/lib/ferry/ferry.db',
      pendingMigrations: [],
      contents: contents(overrides.contents),
      filesystemType: 'ext4',
      backup: { litestreamConfig: '/etc/litestream.yml' },
      ...overrides.database,
    } as DeploymentFacts['database'],
    ...overrides.facts,
  }
}

const ids = (findings: Finding[], severity?: Finding['severity']) =>
  findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.id)

describe('ferry doctor rules', () => {
  it('a well-run deployment has no high or medium finding', () => {
    const findings = diagnose(healthy())
    expect(ids(findings, 'high')).toEqual([])
    expect(ids(findings, 'medium')).toEqual([])
    expect(hasHighRisk(findings)).toBe(false)
    expect(ids(findings, 'ok')).toEqual(
      expect.arrayContaining([
        'master_key.provided',
        'proxy.direct',
        'database.sqlite_local_filesystem',
        'backup.litestream',
        'audit.checkpoint_recent',
        'admins.owner_mfa',
        'retention.request_logs',
      ]),
    )
  })

  it.each([
    [
      'a generated master key file',
      { facts: { masterKey: { source: 'file' as const, looseFileMode: false } } },
      'master_key.generated',
    ],
    [
      'no master key yet',
      { facts: { masterKey: { source: 'missing' as const, looseFileMode: false } } },
      'master_key.generated',
    ],
    [
      'no owner with a second factor',
      { contents: { activeOwners: 2, activeOwnersWithMfa: 0 } },
      'admins.owner_without_mfa',
    ],
    [
      'no checkpoint although events exist',
      { contents: { lastCheckpointAt: null } },
      'audit.no_checkpoint',
    ],
    [
      'a checkpoint three hours old (interval 1 h)',
      { contents: { lastCheckpointAt: new Date(NOW - 3 * 3_600_000).toISOString() } },
      'audit.checkpoint_stale',
    ],
    [
      'SQLite on NFS',
      { database: { filesystemType: 'nfs4' } },
      'database.sqlite_network_filesystem',
    ],
    [
      'pending migrations',
      { database: { pendingMigrations: ['0015-next'] } },
      'database.migrations_pending',
    ],
    [
      'trusted proxies that trust everyone',
      { config: { server: { trustedProxies: ['0.0.0.0/0'] } } },
      'proxy.trust_everyone',
    ],
    ['a proxy declared but not trusted', { facts: { behindProxy: true } }, 'proxy.untrusted'],
    [
      'every admin action from one private address, no trusted proxy',
      {
        contents: {
          recentAdminAddresses: [
            { ip: '10.0.3.7', events: 40 },
            { ip: '203.0.113.9', events: 1 },
          ],
        },
      },
      'proxy.untrusted',
    ],
    [
      'captured prompts kept past their retention (purge not running)',
      {
        contents: {
          oldestCaptured: [
            {
              organizationId: 'org_a',
              createdAt: new Date(NOW - 40 * 86_400_000).toISOString(),
              retentionDays: 30,
            },
          ],
        },
      },
      'retention.request_logs_overdue',
    ],
  ])('%s is high risk', (_name, overrides, id) => {
    const findings = diagnose(healthy(overrides))
    expect(ids(findings, 'high')).toEqual([id])
    expect(hasHighRisk(findings)).toBe(true)
    expect(findings.find((f) => f.id === id)?.fix).not.toBe('')
  })

  it('a master key file others can read is a second high finding', () => {
    const findings = diagnose(
      healthy({ facts: { masterKey: { source: 'file', looseFileMode: true } } }),
    )
    expect(ids(findings, 'high')).toEqual(['master_key.generated', 'master_key.file_mode'])
  })

  it('a database that cannot be read is high risk and skips the content checks', () => {
    const findings = diagnose(
      healthy({
        facts: {
          database: {
            state: 'unreachable',
            dialect: 'postgres',
            location: 'db:5432/ferry',
            error: 'connect ECONNREFUSED',
          },
        },
      }),
    )
    expect(ids(findings, 'high')).toEqual(['database.unreachable'])
    expect(ids(findings)).not.toContain('audit.checkpoint_recent')
  })

  it('spread-out public admin addresses do not look like a proxy', () => {
    const findings = diagnose(
      healthy({
        contents: {
          recentAdminAddresses: [
            { ip: '203.0.113.9', events: 30 },
            { ip: '198.51.100.4', events: 2 },
          ],
        },
      }),
    )
    expect(ids(findings)).toContain('proxy.direct')
  })

  it('a checkpoint within two intervals is recent', () => {
    const findings = diagnose(
      healthy({ contents: { lastCheckpointAt: new Date(NOW - 100 * 60_000).toISOString() } }),
    )
    expect(ids(findings)).toContain('audit.checkpoint_recent')
  })

  it.each([
    [
      'no backup seen for SQLite',
      { database: { backup: { litestreamConfig: undefined } } },
      'backup.not_seen',
    ],
    [
      'PostgreSQL without WAL archiving or replicas',
      {
        database: {
          dialect: 'postgres',
          backup: { archiveMode: 'off', lastArchivedAt: null, lastFailedAt: null, replicas: 0 },
        },
        config: { billing: { holds: 'database' }, redis: { url: 'redis://r' } },
      },
      'backup.not_seen',
    ],
    [
      'memory holds on PostgreSQL',
      {
        database: {
          dialect: 'postgres',
          backup: { archiveMode: 'on', lastArchivedAt: null, lastFailedAt: null, replicas: 0 },
        },
      },
      'billing.memory_holds_on_postgres',
    ],
    [
      'captured prompts kept a year',
      { contents: { captureOrganizations: [{ organizationId: 'org_a', retentionDays: 365 }] } },
      'retention.request_logs_long',
    ],
    [
      'admins but no owner',
      { contents: { activeOwners: 0, activeOwnersWithMfa: 0 } },
      'admins.no_owner',
    ],
  ])('%s is a medium finding', (_name, overrides, id) => {
    const findings = diagnose(healthy(overrides as Parameters<typeof healthy>[0]))
    expect(ids(findings, 'high')).toEqual([])
    expect(ids(findings, 'medium')).toEqual([id])
  })

  it('failing WAL archiving is high risk', () => {
    const findings = diagnose(
      healthy({
        config: { billing: { holds: 'database' }, redis: { url: 'redis://r' } },
        database: {
          dialect: 'postgres',
          backup: {
            archiveMode: 'on',
            lastArchivedAt: '2026-06-14T00:00:00.000Z',
            lastFailedAt: '2026-06-15T11:00:00.000Z',
            replicas: 0,
          },
        } as never,
      }),
    )
    expect(ids(findings, 'high')).toEqual(['backup.archiving_failing'])
  })
})
