import { adminRoute, type AdminRoute } from './admin-route.js'
import { toListPage } from './list-page.js'
import {
  ApiKeyResponse,
  ApiKeyWithSecretResponse,
  CreateKeyBody,
  KeyEnvironmentBody,
  KeyExpiryBody,
  KeyIdParams,
  ListKeysQuery,
  OrganizationIdParams,
  RateLimitsBody,
  RenameKeyBody,
  RotateKeyBody,
  ScopesBody,
} from './orgs.schemas.js'
import { listPageResponse } from './wire.schemas.js'

export const listKeysRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/keys',
  summary: "An organization's API keys (labels only, never secrets)",
  permission: 'keys.read',
  readOnly: true,
  params: OrganizationIdParams,
  query: ListKeysQuery,
  response: listPageResponse(ApiKeyResponse),
  handler: async ({ params, query, services }) => {
    await services.organizations.get(params.organizationId)
    const rows = await services.keys.listForOrganization({
      organizationId: params.organizationId,
      ...(query.after ? { afterId: query.after } : {}),
      limit: query.limit + 1,
    })
    return toListPage(rows, { limit: query.limit, cursorOf: (key) => key.keyId })
  },
})

export const createKeyRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/keys',
  summary: 'Issue an API key; the secret is in this response only',
  permission: 'keys.write',
  action: 'api_key.create',
  params: OrganizationIdParams,
  body: CreateKeyBody,
  successStatus: 201,
  response: ApiKeyWithSecretResponse,
  handler: async ({ params, body, services, audit }) => {
    const { key, secret } = await services.keys.create(audit, {
      organizationId: params.organizationId,
      name: body.name,
      environment: body.environment,
      ...(body.scopes ? { scopes: body.scopes } : {}),
      ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
      ...(body.rateLimits ? { rateLimits: body.rateLimits } : {}),
    })
    return { ...key, secret }
  },
})

export const getKeyRoute = adminRoute({
  method: 'GET',
  url: '/keys/:keyId',
  summary: 'One API key (label only)',
  permission: 'keys.read',
  readOnly: true,
  params: KeyIdParams,
  response: ApiKeyResponse,
  handler: ({ params, services }) => services.keys.get(params.keyId),
})

export const renameKeyRoute = adminRoute({
  method: 'PATCH',
  url: '/keys/:keyId',
  summary: 'Rename an API key',
  permission: 'keys.write',
  action: 'api_key.rename',
  params: KeyIdParams,
  body: RenameKeyBody,
  response: ApiKeyResponse,
  handler: ({ params, body, services, audit }) =>
    services.keys.rename(audit, params.keyId, body.name),
})

export const updateKeyScopesRoute = adminRoute({
  method: 'PUT',
  url: '/keys/:keyId/scopes',
  summary: 'Set the models (or aliases) and endpoints a key may use; null allows any',
  permission: 'keys.write',
  action: 'api_key.scope_update',
  params: KeyIdParams,
  body: ScopesBody,
  response: ApiKeyResponse,
  handler: ({ params, body, services, audit }) =>
    services.keys.updateScopes(audit, params.keyId, body),
})

export const changeKeyEnvironmentRoute = adminRoute({
  method: 'PUT',
  url: '/keys/:keyId/environment',
  summary:
    'Move a key between live and test: a new secret (shown once) replaces the old at once (reason required)',
  permission: 'keys.write',
  action: 'api_key.environment_update',
  params: KeyIdParams,
  body: KeyEnvironmentBody,
  response: ApiKeyWithSecretResponse,
  handler: async ({ params, body, services, audit }) => {
    const { key, secret } = await services.keys.changeEnvironment(
      audit,
      params.keyId,
      body.environment,
    )
    return { ...key, secret }
  },
})

export const setKeyExpiryRoute = adminRoute({
  method: 'PUT',
  url: '/keys/:keyId/expiry',
  summary: 'Set or clear (null) when a key stops working',
  permission: 'keys.write',
  action: 'api_key.expiry_update',
  params: KeyIdParams,
  body: KeyExpiryBody,
  response: ApiKeyResponse,
  handler: ({ params, body, services, audit }) =>
    services.keys.setExpiry(audit, params.keyId, body.expiresAt),
})

export const setKeyRateLimitsRoute = adminRoute({
  method: 'PUT',
  url: '/keys/:keyId/rate-limits',
  summary: "Set a key's requests and tokens per minute (absent: no limit)",
  permission: 'keys.write',
  action: 'api_key.rate_limit_update',
  params: KeyIdParams,
  body: RateLimitsBody,
  response: ApiKeyResponse,
  handler: ({ params, body, services, audit }) =>
    services.keys.setRateLimits(audit, params.keyId, body),
})

export const rotateKeyRoute = adminRoute({
  method: 'POST',
  url: '/keys/:keyId/rotate',
  summary: 'Issue a new secret (shown once); the old one works for graceSeconds (reason required)',
  permission: 'keys.write',
  action: 'api_key.rotate',
  params: KeyIdParams,
  body: RotateKeyBody,
  response: ApiKeyWithSecretResponse,
  handler: async ({ params, body, services, audit }) => {
    const { key, secret } = await services.keys.rotate(audit, params.keyId, {
      graceMs: body.graceSeconds * 1000,
    })
    return { ...key, secret }
  },
})

export const revokeKeyRoute = adminRoute({
  method: 'POST',
  url: '/keys/:keyId/revoke',
  summary: 'Revoke a key: refused at once on every instance (reason required)',
  permission: 'keys.write',
  action: 'api_key.revoke',
  params: KeyIdParams,
  response: ApiKeyResponse,
  handler: ({ params, services, audit }) => services.keys.revoke(audit, params.keyId),
})

export const KEY_ROUTES: readonly AdminRoute[] = [
  listKeysRoute,
  createKeyRoute,
  getKeyRoute,
  renameKeyRoute,
  updateKeyScopesRoute,
  changeKeyEnvironmentRoute,
  setKeyExpiryRoute,
  setKeyRateLimitsRoute,
  rotateKeyRoute,
  revokeKeyRoute,
]
