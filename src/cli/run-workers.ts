import cluster, { type Worker } from 'node:cluster'
import type { Config } from '../config/config.schema.js'
import { ConfigError } from '../lib/errors.js'
import { createLogger, flushLogger } from '../lib/logger.js'
import { loadOrCreateMasterKey } from '../secrets/master-key.js'
import { withGatewayNodeFlags } from './gateway-node-flags.js'

/**
 * Why `--workers N` (N > 1) cannot run with this config, or null when it can. Every worker is a
 * full gateway process, so the topology rules of several processes apply (docs/scale-out.md).
 */
export function workersConfigProblem(config: Config, workers: number): string | null {
  if (workers <= 1) return null
  const url = config.database.url
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url))
    return `--workers ${workers} needs PostgreSQL (database.url = postgres://…): SQLite is served by one process. Run without --workers, or move to PostgreSQL.`
  if (config.billing.holds !== 'database')
    return `--workers ${workers} needs billing.holds: database (FERRY_BILLING_HOLDS=database): with memory holds each worker would think it owns the balances.`
  return null
}

/**
 * The cluster primary of `ferry start --workers N`: fork N workers that share the listening port
 * (node:cluster hands connections out round-robin), replace one that dies, and on SIGTERM or
 * SIGINT stop them all gracefully (each drains its requests and flushes its settlements) before
 * exiting. A worker that dies before it ever listened stops everything: a start-up error (bad
 * database, the balances lock) would otherwise respawn forever.
 */
export async function runWorkers(config: Config, workers: number): Promise<void> {
  const problem = workersConfigProblem(config, workers)
  if (problem !== null) throw new ConfigError([problem])
  const logger = createLogger({ level: config.log.level })
  // Generated once here, so N workers never race to create it.
  loadOrCreateMasterKey({ configured: config.masterKey, dataDir: config.dataDir })
  let stopping = false
  const listening = new Set<number>()

  cluster.setupPrimary({ execArgv: withGatewayNodeFlags(process.execArgv) })
  const fork = (): Worker => cluster.fork()
  cluster.on('listening', (worker) => listening.add(worker.id))
  cluster.on('exit', (worker, code, signal) => {
    const everListened = listening.delete(worker.id)
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) finish(0)
      return
    }
    if (!everListened) {
      logger.error({ code, signal }, 'a worker failed to start; stopping all workers')
      stopAll(1)
      return
    }
    logger.error({ code, signal, pid: worker.process.pid }, 'a worker died; starting another')
    fork()
  })

  let exitCode = 0
  const finish = (code: number) => {
    void flushLogger(logger).finally(() => process.exit(Math.max(code, exitCode)))
  }
  const stopAll = (code: number) => {
    exitCode = Math.max(exitCode, code)
    if (stopping) return
    stopping = true
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
    if (alive.length === 0) return finish(code)
    for (const worker of alive) worker.process.kill('SIGTERM')
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: killing workers without waiting')
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      process.exit(1)
    }
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping workers')
    stopAll(0)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  logger.info({ workers }, 'starting workers')
  for (let i = 0; i < workers; i++) fork()
  await Promise.resolve()
}
