import { PermissionDeniedError } from '../../admins/index.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import { ScopeQuery } from './admin-tokens.schemas.js'
import {
  StartSupportSessionBody,
  SupportSessionIdParams,
  SupportSessionListResponse,
  SupportSessionResponse,
} from './support-sessions.schemas.js'

export const startSupportSessionRoute = adminRoute({
  method: 'POST',
  url: '/support-sessions',
  summary: 'Start a time-boxed support session on an organization (reason required)',
  permission: 'support_sessions.start',
  action: 'support_session.start',
  body: StartSupportSessionBody,
  successStatus: 201,
  response: SupportSessionResponse,
  handler: ({ body, services, audit, principal }) =>
    services.supportSessions.start(audit, {
      adminId: principal.admin.adminId,
      organizationId: body.organizationId,
      durationMs: body.durationMinutes * 60_000,
    }),
})

export const endSupportSessionRoute = adminRoute({
  method: 'POST',
  url: '/support-sessions/:supportSessionId/end',
  summary: 'End a support session (yours, or any with admins.write)',
  permission: 'authenticated',
  action: 'support_session.end',
  params: SupportSessionIdParams,
  response: SupportSessionResponse,
  handler: ({ params, services, audit, principal, permissions }) =>
    services.supportSessions.end(audit, {
      supportSessionId: params.supportSessionId,
      actorAdminId: principal.admin.adminId,
      mayEndAny: permissions.has('admins.write'),
    }),
})

export const listSupportSessionsRoute = adminRoute({
  method: 'GET',
  url: '/support-sessions',
  summary: 'Active support sessions (yours, or all with admins.read)',
  permission: 'authenticated',
  readOnly: true,
  query: ScopeQuery,
  response: SupportSessionListResponse,
  handler: async ({ query, services, principal, permissions }) => {
    if (query.scope === 'all' && !permissions.has('admins.read')) {
      throw new PermissionDeniedError(
        "Listing every admin's support sessions needs the 'admins.read' permission.",
      )
    }
    const data = await services.supportSessions.listActive(
      query.scope === 'all' ? {} : { adminId: principal.admin.adminId },
    )
    return { object: 'list', data }
  },
})

export const SUPPORT_SESSION_ROUTES: readonly AdminRoute[] = [
  startSupportSessionRoute,
  endSupportSessionRoute,
  listSupportSessionsRoute,
]
