import type { AdminApiServices } from '../http/admin/admin-api-services.js'
import { createInvalidationFor } from '../invalidation/create-invalidation.js'
import { createServices } from '../create-services.js'
import { systemClock } from '../lib/clock.js'
import type { ConfigFlags } from './config-options.js'
import { openRuntime } from './open-runtime.js'

/**
 * The admin services exactly as the gateway builds them (createServices), over the CLI's
 * runtime. Changes are published on the same invalidation transport the gateway listens on, so
 * a revocation made here stops the key in a running gateway within a second.
 */
export async function openServices(
  flags: ConfigFlags,
): Promise<AdminApiServices & { close(): Promise<void> }> {
  const runtime = await openRuntime(flags)
  const invalidation = createInvalidationFor({
    database: runtime.database,
    databaseUrl: runtime.config.database.url,
    redisUrl: runtime.config.redis.url,
    redisKeyPrefix: runtime.config.redis.keyPrefix,
    clock: systemClock,
  })
  let services: ReturnType<typeof createServices>
  try {
    services = createServices({
      db: runtime.database.db,
      clock: systemClock,
      masterKey: runtime.masterKey,
      invalidation,
      adminPolicy: runtime.config.admin,
      billing: runtime.config.billing,
      // Events the CLI audits reach the webhook too: a running gateway's worker delivers them.
      webhooks: runtime.config.webhooks,
      ...(runtime.config.providerAccounts
        ? { providerAccounts: runtime.config.providerAccounts }
        : {}),
      upstreamAddresses: runtime.config.providers,
    })
  } catch (err) {
    await invalidation.close()
    await runtime.close()
    throw err
  }
  return {
    ...services.admin,
    close: async () => {
      services.stop()
      await services.providers.close()
      await invalidation.close()
      await runtime.close()
    },
  }
}
