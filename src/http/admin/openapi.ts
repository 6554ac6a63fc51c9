import { z } from 'zod'
import { isHighRisk } from '../../audit/audit-actions.js'
import type { AdminRoute } from './admin-route.js'

const ERROR_RESPONSE = {
  description: "OpenAI's error envelope",
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['message', 'type', 'param', 'code'],
            properties: {
              message: { type: 'string' },
              type: { type: 'string' },
              param: { type: ['string', 'null'] },
              code: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
  },
}

function jsonSchemaOf(
  schema: z.ZodType,
  io: 'input' | 'output' = 'input',
): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  } catch {
    return {}
  }
}

/** The success answer: its JSON schema when the route declares one (a download has none). */
function successResponse(route: AdminRoute): Record<string, unknown> {
  if (route.schemas.response === null) return { description: 'Success' }
  return {
    description: 'Success',
    content: { 'application/json': { schema: jsonSchemaOf(route.schemas.response, 'output') } },
  }
}

/**
 * The OpenAPI 3.1 document of the admin API, generated from the route catalogue: the console's
 * client is typed from it, so it cannot drift from the routes. Each operation names its
 * permission and audit action (`x-ferry-permission`, `x-ferry-audit-action`).
 */
export function buildAdminOpenApi(
  routes: readonly AdminRoute[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = `/admin/v1${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`
    const params = jsonSchemaOf(route.schemas.params) as { properties?: Record<string, unknown> }
    const query = jsonSchemaOf(route.schemas.query) as { properties?: Record<string, unknown> }
    const parameters = [
      ...Object.entries(params.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema,
      })),
      ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      })),
    ]
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE'
    const audited = route.action ?? route.records
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      'x-ferry-permission': route.permission,
      'x-ferry-audit-action': audited,
      'x-ferry-reason-required': audited !== null && isHighRisk(audited),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(hasBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchemaOf(route.schemas.body) } },
            },
          }
        : {}),
      ...(route.permission === 'public' ? { security: [] } : {}),
      responses: {
        [String(route.successStatus)]: successResponse(route),
        default: ERROR_RESPONSE,
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Ferry admin API', version },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'An admin API token (fadm_…)' },
        session: { type: 'apiKey', in: 'cookie', name: 'ferry_admin_session' },
      },
    },
    security: [{ adminToken: [] }, { session: [] }],
    paths,
  }
}
