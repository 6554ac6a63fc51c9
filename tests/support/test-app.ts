import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { ConfigSchema, type Config } from '../../src/config/config.schema.js'
import { createLogger } from '../../src/lib/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import type { Db } from '../../src/storage/index.js'
import { createLogCapture } from './log-capture.js'

/** The app as main.ts builds it, over a test database, with its logs captured. */
export function buildTestApp(options: { db: Db; server?: Partial<Config['server']> }) {
  const server = { ...ConfigSchema.parse({}).server, ...options.server }
  const logs = createLogCapture()
  const app: FastifyInstance = buildApp({
    server,
    logger: createLogger({ level: 'info', destination: logs.stream }),
    db: options.db,
    metrics: createMetrics(),
  })
  return { app, logs }
}
