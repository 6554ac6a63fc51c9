import { PermissionDeniedError } from '../../admins/index.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import {
  AdminTokenIdParams,
  AdminTokenListResponse,
  AdminTokenResponse,
  AdminTokenWithSecretResponse,
  CreateAdminTokenBody,
  ScopeQuery,
} from './admin-tokens.schemas.js'

const DAY_MS = 24 * 60 * 60_000

export const createAdminTokenRoute = adminRoute({
  method: 'POST',
  url: '/admin-tokens',
  summary: 'Create an admin API token for yourself; the secret is shown once (high-risk)',
  permission: 'authenticated',
  action: 'admin.token_create',
  body: CreateAdminTokenBody,
  successStatus: 201,
  response: AdminTokenWithSecretResponse,
  handler: async ({ body, services, audit, principal, permissions }) => {
    // A token cannot mint tokens: a leaked token must not be able to outlive its own revocation.
    if (principal.via === 'token') {
      throw new PermissionDeniedError(
        'Admin tokens cannot create admin tokens; log in to create one.',
      )
    }
    const created = await services.tokens.createToken(audit, {
      adminId: principal.admin.adminId,
      name: body.name,
      ...(body.expiresInDays !== undefined
        ? { expiresAtMs: services.clock.nowMs() + body.expiresInDays * DAY_MS }
        : {}),
      ...(body.permissions !== undefined ? { permissions: body.permissions } : {}),
      creatorPermissions: permissions,
    })
    return { ...created.info, token: created.token }
  },
})

export const listAdminTokensRoute = adminRoute({
  method: 'GET',
  url: '/admin-tokens',
  summary: 'List admin tokens (yours, or all with admins.read); never the secrets',
  permission: 'authenticated',
  readOnly: true,
  query: ScopeQuery,
  response: AdminTokenListResponse,
  handler: async ({ query, services, principal, permissions }) => {
    if (query.scope === 'all' && !permissions.has('admins.read')) {
      throw new PermissionDeniedError(
        "Listing every admin's tokens needs the 'admins.read' permission.",
      )
    }
    const data = await services.tokens.listTokens(
      query.scope === 'all' ? {} : { adminId: principal.admin.adminId },
    )
    return { object: 'list', data }
  },
})

export const revokeAdminTokenRoute = adminRoute({
  method: 'DELETE',
  url: '/admin-tokens/:tokenId',
  summary: 'Revoke an admin token (yours, or any with admins.write); takes effect at once',
  permission: 'authenticated',
  action: 'admin.token_revoke',
  params: AdminTokenIdParams,
  response: AdminTokenResponse,
  handler: ({ params, services, audit, principal, permissions }) =>
    services.tokens.revokeToken(audit, {
      tokenId: params.tokenId,
      actorAdminId: principal.admin.adminId,
      mayRevokeAny: permissions.has('admins.write'),
    }),
})

export const ADMIN_TOKEN_ROUTES: readonly AdminRoute[] = [
  createAdminTokenRoute,
  listAdminTokensRoute,
  revokeAdminTokenRoute,
]
