import { createAuditLog } from '../audit/index.js'
import { createInvalidationFor } from '../invalidation/create-invalidation.js'
import { createKeysService } from '../keys/index.js'
import { systemClock } from '../lib/clock.js'
import { createOrganizationsService } from '../organizations/index.js'
import { deriveKey } from '../secrets/derive-key.js'
import type { ConfigFlags } from './config-options.js'
import { openRuntime } from './open-runtime.js'

/**
 * The organization and key services as the gateway builds them, over the CLI's runtime. Changes
 * are published on the same invalidation transport the gateway listens on, so a revocation made
 * here stops the key in a running gateway within a second.
 */
export async function openCustomerServices(flags: ConfigFlags) {
  const runtime = await openRuntime(flags)
  const { db } = runtime.database
  const invalidation = createInvalidationFor({
    database: runtime.database,
    databaseUrl: runtime.config.database.url,
    redisUrl: runtime.config.redis.url,
    clock: systemClock,
  })
  const auditLog = createAuditLog({ db, clock: systemClock })
  const deps = { db, auditLog, clock: systemClock, invalidation }
  return {
    organizations: createOrganizationsService(deps),
    keys: createKeysService({ ...deps, hashKey: deriveKey(runtime.masterKey, 'api-key-hash') }),
    close: async () => {
      await invalidation.close()
      await runtime.close()
    },
  }
}
