import { Command } from 'commander'
import { createDb, migrateToLatest } from '../../storage/index.js'
import { loadConfigFromFlags, withConfigOptions, type ConfigFlags } from '../config-options.js'

export function migrateCommand(): Command {
  return withConfigOptions(
    new Command('migrate').description('apply pending database migrations and exit'),
  ).action(async (flags: ConfigFlags) => {
    const config = loadConfigFromFlags(flags)
    const database = createDb({
      url: config.database.url,
      dataDir: config.dataDir,
      poolMax: 1,
      sqliteBusyTimeoutMs: config.database.sqliteBusyTimeoutMs,
    })
    try {
      const { applied } = await migrateToLatest(database.db)
      console.log(
        applied.length === 0
          ? `${database.location}: schema is current`
          : `${database.location}: applied ${applied.join(', ')}`,
      )
    } finally {
      await database.close()
    }
  })
}
