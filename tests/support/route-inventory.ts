import type { FastifyInstance } from 'fastify'

/** One route the app serves, as Fastify registered it (`/admin/v1/orgs/:organizationId`). */
export interface ServedRoute {
  method: string
  url: string
  /** The `:name` parameters of its path, in order. */
  params: string[]
}

/** The prefixes whose every route the hostile-input suite must reach (issue 11). */
export const FUZZED_PREFIXES = ['/v1/', '/admin/v1/'] as const

/**
 * Record every route the app registers, straight from Fastify's `onRoute` hook, so a route
 * added anywhere under /v1 or /admin/v1 is in the inventory without anyone listing it. Call
 * before `app.ready()` (plugins register their routes while the app boots); read after.
 */
export function recordServedRoutes(app: FastifyInstance): () => ServedRoute[] {
  const seen = new Map<string, ServedRoute>()
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      // Fastify adds a HEAD for every GET: the same handler, fuzzed through its GET.
      if (method === 'HEAD' || !FUZZED_PREFIXES.some((p) => route.url.startsWith(p))) continue
      const params = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)
      seen.set(`${method} ${route.url}`, { method, url: route.url, params })
    }
  })
  return () => [...seen.values()].sort((a, b) => routeName(a).localeCompare(routeName(b)))
}

/** `METHOD /url`, the name reports and failures use. */
export function routeName(route: Pick<ServedRoute, 'method' | 'url'>): string {
  return `${route.method} ${route.url}`
}

/** The URL of a route with each `:param` replaced by the given (already encoded) segment. */
export function fillRoute(route: ServedRoute, segmentOf: (param: string) => string): string {
  return route.url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => segmentOf(name))
}
