import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import {
  createAdminServices,
  type AdminAuthPolicy,
  type AdminServices,
} from '../../src/admins/index.js'
import { createAuditLog } from '../../src/audit/run-audited.js'
import { ConfigSchema, type Config } from '../../src/config/config.schema.js'
import { systemClock, type Clock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import type { Db } from '../../src/storage/index.js'
import type { AdminRoute } from '../../src/http/admin/admin-route.js'
import { createLogCapture } from './log-capture.js'

/** The master key test apps use unless a test passes its own. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7)

/** The app as main.ts builds it, over a test database, with its logs captured. */
export function buildTestApp(options: {
  db: Db
  server?: Partial<Config['server']>
  clock?: Clock
  masterKey?: Buffer
  adminPolicy?: Partial<AdminAuthPolicy>
  /** Replace the admin route catalogue (tests of the route helper itself). */
  adminRoutes?: readonly AdminRoute[]
}) {
  const server = { ...ConfigSchema.parse({}).server, ...options.server }
  const logs = createLogCapture()
  const clock = options.clock ?? systemClock
  const auditLog = createAuditLog({ db: options.db, clock })
  const adminServices: AdminServices = createAdminServices({
    db: options.db,
    clock,
    auditLog,
    masterKey: options.masterKey ?? TEST_MASTER_KEY,
    ...(options.adminPolicy ? { policy: options.adminPolicy } : {}),
  })
  const app: FastifyInstance = buildApp({
    server,
    logger: createLogger({ level: 'info', destination: logs.stream }),
    db: options.db,
    metrics: createMetrics(),
    admin: {
      services: adminServices,
      ...(options.adminRoutes ? { routes: options.adminRoutes } : {}),
    },
  })
  return { app, logs, adminServices, auditLog, clock }
}
