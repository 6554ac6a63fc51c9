import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import type { AdminServices } from './admins/index.js'
import { loadTokenizer } from './providers/index.js'
import { createServices } from './create-services.js'
import { claimBalanceOwnership, type BalanceOwnership } from './billing/index.js'
import { createOutboxDelivery, outboxSigningKey } from './outbox/index.js'
import { createJobRunner, type JobDefinition } from './jobs/index.js'
import { createInvalidationFor } from './invalidation/create-invalidation.js'
import { createRateLimiterFor } from './rate-limits/index.js'
import { closeGracefully } from './http/close-gracefully.js'
import type { Config } from './config/config.schema.js'
import { findUnknownEnvVars } from './config/load-config.js'
import { systemClock, toIsoTimestamp, type Clock } from './lib/clock.js'
import { createLogger, flushLogger, type Logger } from './lib/logger.js'
import { createMetrics } from './observability/metrics.js'
import { registerRoutingMetrics } from './observability/routing-metrics.js'
import { loadOrCreateMasterKey } from './secrets/master-key.js'
import { matchesStoredMasterKey } from './secrets/master-key-check.js'
import {
  createDb,
  findPendingMigrations,
  migrateToLatest,
  type DatabaseHandle,
} from './storage/index.js'
import type { DestinationStream } from 'pino'

export interface RunningGateway {
  readonly app: FastifyInstance
  readonly url: string
  readonly logger: Logger
  /** Drain in-flight requests (up to the grace period), flush writes, close the database. */
  stop(): Promise<void>
}

export interface StartOptions {
  config: Config
  clock?: Clock
  /** Where logs go (default stdout); tests capture them to scan for secrets. */
  logDestination?: DestinationStream
}

/** Raised when the configured master key is not the one this database was set up with. */
export class MasterKeyMismatchError extends Error {
  constructor() {
    super(
      'The master key does not match the one this database was initialized with. Start Ferry with the original FERRY_MASTER_KEY (or the original data directory).',
    )
    this.name = 'MasterKeyMismatchError'
  }
}

/**
 * The composition root: config → logger → master key → database → migrations → app → listen.
 * Fails before listening when anything is wrong, so a half-configured gateway never serves.
 */
export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options
  const clock = options.clock ?? systemClock
  const logger = createLogger({ level: config.log.level, destination: options.logDestination })
  for (const name of findUnknownEnvVars())
    logger.warn({ variable: name }, 'unknown FERRY_* environment variable ignored')

  const masterKey = loadOrCreateMasterKey({ configured: config.masterKey, dataDir: config.dataDir })
  if (masterKey.source === 'generated') {
    logger.warn(
      { path: masterKey.path },
      'no FERRY_MASTER_KEY configured: generated a new master key into the data directory (mode 0600). Back it up; set FERRY_MASTER_KEY for production and for several processes.',
    )
  } else if (masterKey.looseFileMode) {
    logger.warn(
      { path: masterKey.path },
      'master key file is readable by group or others; chmod 600 it',
    )
  }

  const database = createDb({
    url: config.database.url,
    dataDir: config.dataDir,
    poolMax: config.database.poolMax,
    connectTimeoutMs: config.database.connectTimeoutMs,
    sqliteBusyTimeoutMs: config.database.sqliteBusyTimeoutMs,
    // Long-running: WAL checkpoints on a thread of their own, not inside a COMMIT on the loop.
    sqliteCheckpoints: 'thread',
    onCheckpointThreadFailure: (err) =>
      logger.error({ err }, 'WAL checkpoint thread failed; SQLite checkpoints automatically again'),
  })
  let ownership: BalanceOwnership
  try {
    await prepareDatabase({ database, config, logger, clock, masterKey: masterKey.key })
    // Before anything loads balances: refuse to run beside a process that cannot share them.
    ownership = await claimBalanceOwnership({
      dialect: database.dialect,
      connectionString: config.database.url,
      sqlitePath: database.location,
      strategy: config.billing.holds,
      onLost: (err) =>
        logger.error({ err }, 'balances lock lost (database connection dropped); taking it again'),
      onRegained: () => logger.info('balances lock held again'),
      onTakenOver: (err) => logger.error({ err }, 'balances lock: another process holds it now'),
    })
  } catch (err) {
    await database.close()
    throw err
  }

  const metrics = createMetrics()
  const invalidation = createInvalidationFor({
    database,
    databaseUrl: config.database.url,
    redisUrl: config.redis.url,
    redisKeyPrefix: config.redis.keyPrefix,
    clock,
    onError: (err) => logger.warn({ err }, 'cache invalidation transport problem'),
  })
  let services: ReturnType<typeof createServices>
  try {
    services = createServices({
      db: database.db,
      clock,
      masterKey: masterKey.key,
      invalidation,
      adminPolicy: config.admin,
      billing: config.billing,
      billingPeriodicSweep: false,
      // The thread stamps entries with the system clock, so only where the gateway uses it too.
      ...(database.dialect === 'sqlite' && database.location !== ':memory:' && clock === systemClock
        ? {
            settlementThread: {
              path: database.location,
              busyTimeoutMs: config.database.sqliteBusyTimeoutMs,
              onFailure: (err: unknown) =>
                logger.error(
                  { err },
                  'settlement thread failed; settlements are written on the event loop again',
                ),
            },
          }
        : {}),
      budgets: config.budgets,
      webhooks: config.webhooks,
      ...(config.providerAccounts ? { providerAccounts: config.providerAccounts } : {}),
      upstreamAddresses: config.providers,
      onBackgroundError: (err) => logger.warn({ err }, 'provider accounts: background problem'),
      requestLogFlushIntervalMs: config.requestLogs.flushIntervalMs,
      circuitBreaker: config.routing.circuitBreaker,
      onCircuitChange: (change) => logger.warn(change, 'provider circuit changed state'),
    })
  } catch (err) {
    // A bad configured provider account is a ConfigError: release what is open, then report it.
    await invalidation.close()
    await ownership.release()
    await database.close()
    throw err
  }
  const adminServices = services.admin
  const rateLimiter = createRateLimiterFor({
    redisUrl: config.redis.url,
    redisKeyPrefix: config.redis.keyPrefix,
    clock,
    onFallback: (event) => {
      metrics.rateLimitFallbacks.inc()
      if (event.firstSinceHealthy)
        logger.warn(
          { err: event.error },
          'Redis unreachable: rate limits fall back to this process',
        )
    },
    onRecovered: () => logger.info('Redis reachable again: shared rate limits resumed'),
  })
  // Wait briefly for the transport: a revocation made elsewhere during start must not be missed.
  await Promise.race([
    invalidation.ready(),
    new Promise((resolve) => setTimeout(resolve, 2000).unref()),
  ])
  // The model table is in memory: load it before serving, so no request misses a model.
  await services.models.ready()
  // Prices and budget policies are in memory too: a request must never see them unloaded.
  await Promise.all([services.priceBook.ready(), services.budgetBook.ready()])
  // Balances loaded (memory strategy: holds left by a crashed process released) before the
  // first request; the periodic reaper is a background job (below).
  await services.billing.start()
  // Monthly caps count from what this month's usage events already hold, not from zero.
  const seeded = await services.seedMonthToDate()
  logger.info(seeded, 'month-to-date usage loaded for monthly caps')
  // Token counts (aborted streams, prompts for holds) must never load the tables mid-request.
  loadTokenizer()
  try {
    // Route policies kept in the config file: a changed file publishes a new version (system actor).
    const synced = await services.admin.routing.policies.syncFromConfig(config.routing.policies)
    for (const result of synced)
      if (result.outcome === 'published')
        logger.info(result, 'route policy from the config file published')
    await services.admin.routing.resolver.reload()
  } catch (err) {
    services.stop()
    await invalidation.close()
    await ownership.release()
    await database.close()
    throw err
  }
  registerRoutingMetrics(metrics.registry, services.admin.routing)
  await logFirstAdminHint({ adminServices, logger })
  const app = buildApp({
    server: config.server,
    logger,
    db: database.db,
    metrics,
    admin: { services: adminServices },
    v1: {
      keyAuthenticator: services.keyAuthenticator,
      rateLimiter,
      models: services.models,
      providers: services.providers,
      routing: services.routing,
      metering: services.metering,
      requestLog: services.requestLog,
      clock,
      bodyLimitBytes: config.server.bodyLimitBytes,
      ...(config.usage.customerReadEnabled ? { usage: services.usage } : {}),
    },
  })
  app.addHook('onClose', async () => {
    // Every settlement already acknowledged to a client is committed before the database closes.
    await services.billing.stop()
    await ownership.release()
    // Captured content still queued is written too (a crash, unlike a stop, loses it).
    await services.requestLog.stop()
    services.stop()
    await services.providers.close()
    await invalidation.close()
    await rateLimiter.close()
  })
  // Reaper, credit expiry, checkpoints, retention, support sessions: once per interval across
  // every process on this database, not once per process (job_leases, ADR 0003).
  const jobs = createJobRunner({
    db: database.db,
    clock,
    logger,
    jobs: backgroundJobs({ config, services, logger }),
  })
  jobs.start()
  app.addHook('onClose', () => jobs.stop())
  // The outbox's delivery worker, when a webhook is configured (each instance runs one; rows
  // are claimed, so two never send the same row at once). Stopped before the database closes.
  const { url: webhookUrl, ...webhooks } = config.webhooks
  if (webhookUrl !== undefined && services.outboxTopics.size > 0) {
    const outboxDelivery = createOutboxDelivery({
      db: database.db,
      clock,
      url: webhookUrl,
      signingKey: outboxSigningKey(masterKey.key),
      topics: [...services.outboxTopics],
      timeoutMs: webhooks.timeoutMs,
      maxAttempts: webhooks.maxAttempts,
      pollIntervalMs: webhooks.pollIntervalMs,
      logger,
    })
    outboxDelivery.start()
    app.addHook('onClose', () => outboxDelivery.stop())
  }
  try {
    await app.listen({ host: config.server.host, port: config.server.port })
  } catch (err) {
    await app.close()
    await database.close()
    throw err
  }
  const address = app.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  logger.info({ url, port: address.port, database: database.dialect }, 'ferry listening')
  return {
    app,
    url,
    logger,
    stop: () => stopGateway({ app, database, logger, graceMs: config.shutdown.graceMs }),
  }
}

async function prepareDatabase(options: {
  database: DatabaseHandle
  config: Config
  logger: Logger
  clock: Clock
  masterKey: Buffer
}) {
  const { database, config, logger } = options
  if (config.database.migrateOnStart) {
    const { applied } = await migrateToLatest(database.db)
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied')
  } else {
    const pending = await findPendingMigrations(database.db)
    if (pending.length > 0)
      logger.warn({ pending }, 'migrations pending; run `ferry migrate` (readyz reports not ready)')
  }
  const matches = await matchesStoredMasterKey(database.db, {
    masterKey: options.masterKey,
    updatedAt: toIsoTimestamp(options.clock.nowMs()),
  }).catch((err: unknown) => {
    // Migrations disabled and never run: the settings table may not exist yet.
    logger.warn({ err }, 'cannot check the master key fingerprint')
    return true
  })
  if (!matches) throw new MasterKeyMismatchError()
}

/** The background jobs every gateway process offers to run; the job runner runs each once. */
function backgroundJobs(options: {
  config: Config
  services: ReturnType<typeof createServices>
  logger: Logger
}): JobDefinition[] {
  const { config, services, logger } = options
  return [
    {
      // Release expired holds (every process's, database strategy), then lapse expired credits,
      // then release expired monthly cap reservations.
      name: 'billing.sweep',
      intervalMs: config.billing.holdReaperIntervalMs,
      run: async () => {
        const swept = {
          ...(await services.billing.sweep()),
          // Monthly cap reservations of requests whose process died (billing.holds: database).
          capReservationsReleased: (await services.sharedMonthTotals?.reapExpired()) ?? 0,
        }
        if (swept.holdsReleased + swept.creditsExpired + swept.capReservationsReleased > 0)
          logger.info(swept, 'expired holds released and credits lapsed')
      },
    },
    {
      // A signed "still at sequence N" per chain, also when nothing happened.
      name: 'audit.checkpoints',
      intervalMs: config.audit.checkpointIntervalMs,
      runAtStart: false,
      run: async () => {
        const written = await services.auditCheckpointer.writeCheckpoints()
        logger.debug({ chains: written.length }, 'audit checkpoints written')
      },
    },
    {
      // Captured request content past each organization's retention; each purge is audited.
      name: 'request_logs.purge',
      intervalMs: config.requestLogs.purgeIntervalMs,
      run: async () => {
        const purged = (await services.admin.requestLogs.purgeExpired()).filter((r) => r.purged > 0)
        if (purged.length > 0)
          logger.info(
            { organizations: purged.length, rows: purged.reduce((n, r) => n + r.purged, 0) },
            'expired request logs purged',
          )
      },
    },
    {
      // A support session nobody touches still ends on time, and its expiry is recorded.
      name: 'admin.support_sessions',
      intervalMs: 60_000,
      runAtStart: false,
      run: async () => {
        const count = await services.admin.supportSessions.expireDue()
        if (count > 0) logger.info({ count }, 'support sessions expired')
      },
    },
  ]
}

/** On a database without admins, say how to create the first owner (nobody can log in yet). */
async function logFirstAdminHint(options: { adminServices: AdminServices; logger: Logger }) {
  const count = await options.adminServices.users.countAdmins().catch(() => undefined)
  if (count !== 0) return
  options.logger.warn(
    'no admin users yet: create the first owner with `ferry admin create --email you@example.com --role owner`',
  )
}

async function stopGateway(options: {
  app: FastifyInstance
  database: DatabaseHandle
  logger: Logger
  graceMs: number
}) {
  const { app, database, logger, graceMs } = options
  logger.info({ graceMs }, 'shutting down: draining in-flight requests')
  try {
    await closeGracefully(app, { graceMs })
  } finally {
    await database.close()
  }
  logger.info('shutdown complete')
  await flushLogger(logger)
}
