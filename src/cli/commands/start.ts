import { Command } from 'commander'
import { startGateway } from '../../main.js'
import { loadConfigFromFlags, withConfigOptions, type ConfigFlags } from '../config-options.js'

export function startCommand(): Command {
  return withConfigOptions(new Command('start').description('start the gateway')).action(
    async (flags: ConfigFlags) => {
      const gateway = await startGateway({ config: loadConfigFromFlags(flags) })
      let stopping = false
      const onSignal = (signal: NodeJS.Signals) => {
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
    },
  )
}
