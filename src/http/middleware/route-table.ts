import type { FastifyInstance } from 'fastify'
import FindMyWay from 'find-my-way'
import type { HTTPMethod } from 'find-my-way'

/**
 * A copy of the route table that answers "which methods does this path allow?", so an unknown
 * method on a known path is a 405 with an `Allow` header rather than a 404.
 */
export interface RouteTable {
  allowedMethods(path: string): string[]
}

const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

export function trackRoutes(app: FastifyInstance): RouteTable {
  const router = FindMyWay()
  const noop = () => undefined
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (!METHODS.includes(method as HTTPMethod)) continue
      // Fastify adds HEAD for every GET; find-my-way refuses a duplicate.
      if (router.hasRoute(method as HTTPMethod, route.url)) continue
      router.on(method as HTTPMethod, route.url, noop)
    }
  })
  return {
    allowedMethods: (path) =>
      METHODS.filter((method) => router.find(method, path.split('?', 1)[0] ?? path) !== null),
  }
}
