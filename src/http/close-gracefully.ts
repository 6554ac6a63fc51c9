import type { FastifyInstance } from 'fastify'

/**
 * Stop accepting connections, let in-flight requests (streams included) finish, and after
 * `graceMs` cut whatever is still open so the process can end. Fastify's onClose hooks (which
 * flush pending writes) run once the server has closed.
 */
export async function closeGracefully(
  app: FastifyInstance,
  options: { graceMs: number },
): Promise<void> {
  const deadline = setTimeout(() => {
    app.log.warn(
      { graceMs: options.graceMs },
      'shutdown grace period over: closing remaining connections',
    )
    app.server.closeAllConnections()
  }, options.graceMs)
  deadline.unref()
  try {
    await app.close()
  } finally {
    clearTimeout(deadline)
  }
}
