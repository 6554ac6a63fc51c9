import type { FastifyInstance } from 'fastify'
import { ServiceUnavailableError } from '../lib/errors.js'
import type { Metrics } from '../observability/metrics.js'
import type { Db } from '../storage/index.js'
import { checkDatabase } from '../storage/index.js'

export interface OpsDeps {
  db: Db
  metrics: Metrics
}

/** /healthz (process alive), /readyz (database reachable, schema current), /metrics. */
export function registerOpsRoutes(app: FastifyInstance, deps: OpsDeps): void {
  app.get('/healthz', () => ({ status: 'ok' }))

  app.get('/readyz', async () => {
    let pending: string[]
    try {
      pending = (await checkDatabase(deps.db)).pendingMigrations
    } catch (err) {
      throw new ServiceUnavailableError('The database is not reachable.', {
        code: 'database_unavailable',
        cause: err,
      })
    }
    if (pending.length > 0) {
      throw new ServiceUnavailableError(
        `The database schema is behind: ${pending.length} migration(s) pending. Run \`ferry migrate\`.`,
        { code: 'migrations_pending' },
      )
    }
    return { status: 'ready', database: 'ok', migrations: 'current' }
  })

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.registry.metrics()
    return reply.header('content-type', deps.metrics.registry.contentType).send(body)
  })
}
