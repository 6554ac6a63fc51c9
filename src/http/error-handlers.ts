import type { FastifyInstance } from 'fastify'
import { MethodNotAllowedError, UnknownRouteError } from '../lib/errors.js'
import { toOpenAIError } from './openai-error.js'
import type { RouteTable } from './middleware/route-table.js'

/**
 * Every error, from any layer or from Fastify itself, leaves in OpenAI's shape with JSON content
 * type. Unknown errors are logged once, with the request id, and answered with a generic 500.
 */
export function registerErrorHandlers(
  app: FastifyInstance,
  options: { bodyLimitBytes: number; routes: RouteTable },
): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toOpenAIError(err, options)
    if (mapped.unexpected !== undefined)
      request.log.error({ err: mapped.unexpected }, 'unhandled error')
    return reply.status(mapped.status).headers(mapped.headers).send(mapped.body)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url
    const allowed = options.routes.allowedMethods(path)
    const err =
      allowed.length > 0
        ? new MethodNotAllowedError(request.method, path, allowed)
        : new UnknownRouteError(request.method, path)
    const mapped = toOpenAIError(err, options)
    return reply.status(mapped.status).headers(mapped.headers).send(mapped.body)
  })
}
