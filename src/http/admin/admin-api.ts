import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { AdminApiServices } from './admin-api-services.js'
import { registerAdminAuthentication } from '../middleware/authenticate-admin.js'
import type { AdminRoute } from './admin-route.js'
import { ADMIN_ROUTES } from './admin-routes.js'
import { buildAdminOpenApi } from './openapi.js'
import { registerAdminRoute } from './register-admin-route.js'

/** What the admin API needs from the composition root. */
export interface AdminApiDeps {
  services: AdminApiServices
  /** @default ADMIN_ROUTES — tests may add routes to exercise the helper. */
  routes?: readonly AdminRoute[]
  /** Shown in the OpenAPI document. */
  version?: string
}

/**
 * The admin REST API, registered by buildApp under `/admin/v1`: the authentication hook, every
 * route of the catalogue, and `GET /openapi.json` generated from the same catalogue.
 */
export function adminApiPlugin(deps: AdminApiDeps): FastifyPluginAsync {
  const routes = deps.routes ?? ADMIN_ROUTES
  return (app: FastifyInstance) => {
    registerAdminAuthentication(app, deps.services)
    for (const route of routes) registerAdminRoute(app, { route, services: deps.services })
    const document = buildAdminOpenApi(routes, deps.version ?? '0.0.0')
    app.get('/openapi.json', () => document)
    return Promise.resolve()
  }
}
