#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../lib/errors.js'
import { adminCommand } from './commands/admin.js'
import { auditCommand } from './commands/audit.js'
import { doctorCommand } from './commands/doctor.js'
import { evidenceCommand } from './commands/evidence.js'
import { keysCommand } from './commands/keys.js'
import { migrateCommand } from './commands/migrate.js'
import { orgsCommand } from './commands/orgs.js'
import { startCommand } from './commands/start.js'
import { webhooksCommand } from './commands/webhooks.js'
import { usageCommand } from './commands/usage.js'

/** Exit codes: 1 for a failure, 2 for bad configuration or usage. */
const EXIT_CONFIG = 2

function packageVersion(): string {
  // src/cli/ and dist/cli/ are both two levels below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

export function buildCli(): Command {
  return new Command('ferry')
    .description('Ferry: an OpenAI-compatible AI API gateway')
    .version(packageVersion(), '-v, --version')
    .addCommand(startCommand())
    .addCommand(migrateCommand())
    .addCommand(auditCommand())
    .addCommand(evidenceCommand())
    .addCommand(adminCommand())
    .addCommand(orgsCommand())
    .addCommand(keysCommand())
    .addCommand(webhooksCommand())
    .addCommand(usageCommand())
    .addCommand(doctorCommand())
    .showHelpAfterError()
    .exitOverride()
}

async function main(argv: string[]) {
  try {
    await buildCli().parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_CONFIG)
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(EXIT_CONFIG)
    }
    console.error(`ferry: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  }
}

await main(process.argv)
