import { userInfo } from 'node:os'
import { createAuditLog, type AuditContext, type AuditLog } from '../audit/index.js'
import type { Config } from '../config/config.schema.js'
import { systemClock, toIsoTimestamp } from '../lib/clock.js'
import { enabledOutboxTopics } from '../outbox/index.js'
import { matchesStoredMasterKey } from '../secrets/master-key-check.js'
import { loadOrCreateMasterKey } from '../secrets/master-key.js'
import { createDb, migrateToLatest, type DatabaseHandle } from '../storage/index.js'
import { loadConfigFromFlags, type ConfigFlags } from './config-options.js'

/** What a CLI command that works on Ferry's state needs: config, master key, migrated database. */
export interface CliRuntime {
  config: Config
  masterKey: Buffer
  database: DatabaseHandle
  close(): Promise<void>
}

/**
 * Open the database the gateway uses, with the same config and master key, and bring its schema
 * up to date (the CLI must work on an empty database, before the first `ferry start`).
 */
export async function openRuntime(flags: ConfigFlags): Promise<CliRuntime> {
  const config = loadConfigFromFlags(flags)
  const masterKey = loadOrCreateMasterKey({ configured: config.masterKey, dataDir: config.dataDir })
  const database = createDb({
    url: config.database.url,
    dataDir: config.dataDir,
    poolMax: 2,
    sqliteBusyTimeoutMs: config.database.sqliteBusyTimeoutMs,
  })
  try {
    await migrateToLatest(database.db)
    const matches = await matchesStoredMasterKey(database.db, {
      masterKey: masterKey.key,
      updatedAt: toIsoTimestamp(systemClock.nowMs()),
    })
    // A wrong key would hash and encrypt with the wrong secret: stop before anything is written.
    if (!matches) {
      throw new Error(
        'the master key does not match the one this database was initialized with (FERRY_MASTER_KEY)',
      )
    }
  } catch (err) {
    await database.close()
    throw err
  }
  return { config, masterKey: masterKey.key, database, close: () => database.close() }
}

/** The audit log as the gateway writes it (events enqueued for the webhook when it is on). */
export function cliAuditLog(runtime: CliRuntime): AuditLog {
  return createAuditLog({
    db: runtime.database.db,
    clock: systemClock,
    outbox: enabledOutboxTopics(runtime.config.webhooks).has('audit'),
  })
}

/** The audit actor for a command run from a terminal: `cli:<operating-system user>`. */
export function cliAuditContext(options: { reason?: AuditContext['reason'] } = {}): AuditContext {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (some containers): keep 'unknown'
  }
  return {
    actor: { type: 'cli', id: `cli:${user}`, role: null },
    ip: null,
    userAgent: 'ferry-cli',
    requestId: null,
    reason: options.reason ?? null,
  }
}
