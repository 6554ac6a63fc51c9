import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { Command, InvalidArgumentError, Option } from 'commander'
import { startGateway } from '../../main.js'
import { loadConfigFromFlags, withConfigOptions, type ConfigFlags } from '../config-options.js'
import { runWorkers } from '../run-workers.js'

interface StartFlags extends ConfigFlags {
  workers?: number
}

export function startCommand(): Command {
  return withConfigOptions(new Command('start').description('start the gateway'))
    .addOption(
      new Option(
        '--workers <n>',
        'gateway processes sharing the port (node:cluster; PostgreSQL and billing.holds: database); "auto" = one per core',
      ).argParser(parseWorkers),
    )
    .action(async (flags: StartFlags) => {
      const config = loadConfigFromFlags(flags)
      const workers = flags.workers ?? 1
      if (workers > 1 && cluster.isPrimary) return runWorkers(config, workers)
      const gateway = await startGateway({ config })
      let stopping = false
      const onSignal = (signal: NodeJS.Signals | 'disconnect') => {
        if (stopping) {
          gateway.logger.warn({ signal }, 'second signal: exiting without waiting')
          process.exit(1)
        }
        stopping = true
        gateway.logger.info({ signal }, 'signal received')
        gateway.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            gateway.logger.error({ err }, 'shutdown failed')
            process.exit(1)
          },
        )
      }
      process.on('SIGTERM', onSignal)
      process.on('SIGINT', onSignal)
      // A cluster worker whose primary is gone stops too (it would serve unsupervised).
      if (cluster.isWorker) process.on('disconnect', () => onSignal('disconnect'))
    })
}

function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism()
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('a whole number of processes, at least 1, or "auto"')
  return Number(value)
}
