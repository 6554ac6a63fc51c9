import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  MissingApiKeyError,
  type AuthenticatedKey,
  type KeyAuthenticator,
} from '../../keys/index.js'
import { addAccessLogFields } from './access-log.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The customer key that authenticated this `/v1` request (set by authenticate-key). */
    customerKey?: AuthenticatedKey
  }
}

/**
 * The presented key: `Authorization: Bearer <key>` (every OpenAI client), or the `api-key`
 * header that Azure-style clients send.
 */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    return match?.[1] ?? authorization.trim()
  }
  const apiKey = request.headers['api-key']
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined
}

/** Authenticate every request of the plugin it is registered in; a failure is a 401 in OpenAI's shape. */
export function registerKeyAuthentication(
  app: FastifyInstance,
  authenticator: KeyAuthenticator,
): void {
  app.addHook('onRequest', async (request) => {
    const presented = presentedKey(request)
    if (presented === undefined || presented === '') throw new MissingApiKeyError()
    const key = await authenticator.authenticate(presented)
    request.customerKey = key
    // The access line names the organization and key; other lines of this request carry its
    // requestId, which joins them. A child logger per request would cost more than both.
    addAccessLogFields(request, { organizationId: key.organizationId, keyLabel: key.label })
  })
}

/** The authenticated key; only call inside a plugin that registered key authentication. */
export function customerKeyOf(request: FastifyRequest): AuthenticatedKey {
  const key = request.customerKey
  if (!key) throw new Error('customerKeyOf called on a route without key authentication')
  return key
}
