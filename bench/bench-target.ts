/**
 * Ferry as a benchmark target: a temporary SQLite database, one organization and key, and
 * `gpt-4o-mini` served by an openai-compatible account at MOCK_BASE_URL. Prints one JSON line
 * `{ url, key, pid }` once listening. Logs (one access line per request, as in production) go
 * to /dev/null unless BENCH_LOG=stdout. BENCH_PRICED=1 publishes a price table and funds the
 * organization, so requests are held and settled through the ledger.
 *
 *   MOCK_BASE_URL=http://127.0.0.1:18080/v1 PORT=18790 node --import tsx bench/bench-target.ts
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { ConfigSchema } from '../src/config/config.schema.js'
import { createServices } from '../src/create-services.js'
import { loadTokenizer } from '../src/providers/index.js'
import { PriceRowsSchema } from '../src/pricing/index.js'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../src/config/resolve-provider-accounts.js'
import { createLocalInvalidation } from '../src/invalidation/index.js'
import { systemClock } from '../src/lib/clock.js'
import { createLogger } from '../src/lib/logger.js'
import { createMetrics } from '../src/observability/metrics.js'
import { createMemoryRateLimiter } from '../src/rate-limits/index.js'
import { createDb, migrateToLatest } from '../src/storage/index.js'
import { SecretText } from '../src/lib/secret-text.js'
import type { AuditContext } from '../src/audit/index.js'

const mockBaseUrl = process.env.MOCK_BASE_URL ?? 'http://127.0.0.1:18080/v1'
const port = Number(process.env.PORT ?? 18790)
const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-'))
const { db } = createDb({ url: `sqlite:${join(dataDir, 'ferry.db')}`, dataDir })
await migrateToLatest(db)
const clock = systemClock
// The production model resolver over a configured account, as `providers.accounts` declares it.
const services = createServices({
  db,
  clock,
  masterKey: Buffer.alloc(32, 3),
  invalidation: createLocalInvalidation(),
  providerAccounts: [
    {
      name: 'bench-openai',
      kind: 'openai-compatible',
      baseUrl: mockBaseUrl,
      credential: new SecretText('sk-bench-upstream'),
      credentialEnv: 'BENCH_UPSTREAM_KEY',
      origin: 'file',
      models: ['gpt-4o-mini'],
      aliases: {},
      extraHeaders: {},
      timeouts: {},
      settings: {},
      status: 'active',
    },
    BUILTIN_MOCK_PROVIDER_ACCOUNT,
  ],
})
loadTokenizer()
await Promise.all([
  services.models.ready(),
  services.routingReady(),
  services.priceBook.ready(),
  services.budgetBook.ready(),
  services.billing.start(),
])
const server = ConfigSchema.parse({}).server
const app = buildApp({
  server,
  logger: createLogger({
    level: 'info',
    destination:
      process.env.BENCH_LOG === 'stdout' ? pino.destination(1) : pino.destination('/dev/null'),
  }),
  db,
  metrics: createMetrics(),
  admin: { services: services.admin },
  v1: {
    keyAuthenticator: services.keyAuthenticator,
    rateLimiter: createMemoryRateLimiter({ clock }),
    models: services.models,
    providers: services.providers,
    routing: services.routing,
    metering: services.metering,
    clock,
  },
})
const audit: AuditContext = {
  actor: { type: 'cli', id: 'cli:bench', role: null },
  ip: null,
  userAgent: null,
  requestId: null,
  reason: { code: 'benchmark_setup' },
}
const org = await services.admin.organizations.create(audit, { name: 'Bench' })
const key = await services.admin.keys.create(audit, {
  organizationId: org.organizationId,
  name: 'bench',
  environment: 'live',
})
// BENCH_PRICED=1: a priced deployment, so every request counts its prompt, holds, and settles
// through the ledger before its last byte (issue 7's benchmark condition).
if (process.env.BENCH_PRICED === '1') {
  await services.admin.pricing.publish(audit, {
    rows: PriceRowsSchema.parse([
      { model: '*', inputMicrosPer1M: '150000', outputMicrosPer1M: '600000' },
    ]),
  })
  await services.priceBook.reload()
  await services.admin.billing.credit(
    { audit, adminId: 'cli:bench' },
    {
      organizationId: org.organizationId,
      environment: 'live',
      amountMicros: 900_000_000n,
      category: 'paid',
      idempotencyKey: 'bench-funding',
    },
  )
}
await app.listen({ host: '127.0.0.1', port })
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${port}/v1`, key: key.secret, pid: process.pid })}\n`,
)
const stop = () => void app.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
