import { Option, type Command } from 'commander'
import type { Config } from '../config/config.schema.js'
import { loadConfig, type ConfigOverrides } from '../config/load-config.js'

/** The config flags every command that touches the gateway's state accepts. */
export function withConfigOptions(command: Command): Command {
  return command
    .option(
      '-c, --config <path>',
      'config file (YAML or JSON); default FERRY_CONFIG or ./ferry.config.yaml',
    )
    .option('--host <host>', 'address to listen on (FERRY_HOST)')
    .addOption(new Option('--port <port>', 'port to listen on (FERRY_PORT)').argParser(parsePort))
    .option('--data-dir <dir>', 'data directory (FERRY_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… or sqlite:path (FERRY_DATABASE_URL)')
    .option(
      '--log-level <level>',
      'fatal | error | warn | info | debug | trace | silent (FERRY_LOG_LEVEL)',
    )
}

export interface ConfigFlags {
  config?: string
  host?: string
  port?: number
  dataDir?: string
  databaseUrl?: string
  logLevel?: string
}

export function loadConfigFromFlags(flags: ConfigFlags): Config {
  const overrides: ConfigOverrides = {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: flags.logLevel,
  }
  return loadConfig({ configFile: flags.config, overrides: dropUndefined(overrides) })
}

function parsePort(value: string): number {
  // Left to the schema to reject; a non-number becomes NaN and is reported with the rest.
  return /^\d+$/.test(value) ? Number(value) : Number.NaN
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
