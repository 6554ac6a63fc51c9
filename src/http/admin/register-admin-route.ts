import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import {
  MfaEnrollmentRequiredError,
  PermissionDeniedError,
  type AdminServices,
} from '../../admins/index.js'
import { isHighRisk } from '../../audit/audit-actions.js'
import type { AuditContext } from '../../audit/audit-event.js'
import type { AdminApiServices } from './admin-api-services.js'
import { checkReason } from '../../audit/run-audited.js'
import { zodToInvalidRequest } from '../openai-error.js'
import type { AdminRequestAuth } from '../middleware/authenticate-admin.js'
import type { AdminRoute, AdminRouteContext, SessionCookieControl } from './admin-route.js'
import { AdminDownload, sendDownload } from './admin-download.js'
import { buildAuditContext, readReason } from './request-audit-context.js'
import { clearSessionCookie, setSessionCookie } from './session-cookie.js'

/**
 * Register one declared route on the admin plugin. Order of checks: authentication (the hook,
 * 401) → MFA enrolment gate (403) → permission (403, audited when high-risk) → params, query,
 * body (400) → reason for a high-risk action (400 `reason_required`) → handler.
 */
export function registerAdminRoute(
  app: FastifyInstance,
  options: { route: AdminRoute; services: AdminApiServices },
): void {
  const { route, services } = options
  app.route({
    method: route.method,
    url: route.url,
    config: { adminRoute: route },
    handler: async (request, reply) => {
      const result = await runRoute({ route, services, request, reply })
      if (result instanceof AdminDownload)
        return sendDownload(reply.status(route.successStatus), result)
      return reply.status(route.successStatus).send(result ?? {})
    },
  })
}

async function runRoute(options: {
  route: AdminRoute
  services: AdminApiServices
  request: FastifyRequest
  reply: FastifyReply
}): Promise<unknown> {
  const { route, services, request, reply } = options
  const auth = request.adminAuth
  if (auth?.principal.restricted && !route.allowWhileMfaEnrollmentRequired) {
    throw new MfaEnrollmentRequiredError()
  }
  const { reason: bodyReason, rest: rawBody } = splitReason(request.body)
  const audit = buildAuditContext(request, { auth, reason: readReason(request, bodyReason) })
  if (auth !== undefined && route.permission !== 'public' && route.permission !== 'authenticated') {
    if (!auth.principal.permissions.has(route.permission)) {
      await recordDenial({ route, services, audit })
      throw new PermissionDeniedError(`This action needs the '${route.permission}' permission.`)
    }
  }
  const params = parseWith(route.schemas.params, request.params)
  const query = parseWith(route.schemas.query, request.query ?? {})
  const body = parseWith(route.schemas.body, rawBody)
  // Refuse a high-risk change (or sensitive read) without a reason before the handler runs.
  const audited = route.action ?? route.records
  audit.reason = audited ? checkReason(audited, audit.reason) : null

  const ctx: AdminRouteContext<unknown, unknown, unknown> = {
    body,
    query,
    params,
    audit,
    services,
    session: cookieControl(request, reply),
    // Public routes get no principal; their handlers are typed without one.
    principal: auth?.principal as AdminRouteContext<unknown, unknown, unknown>['principal'],
    permissions: auth?.principal.permissions ?? new Set(),
    supportSession: auth?.supportSession ?? null,
    csrfToken: csrfOf(auth, services),
  }
  try {
    return await route.invoke(ctx)
  } catch (err) {
    // A rule inside the service said no (an admin acting on an owner, say): same as a 403 here.
    if (err instanceof PermissionDeniedError) await recordDenial({ route, services, audit })
    throw err
  }
}

/** High-risk attempts without the permission leave a trace: who tried what, from where. */
async function recordDenial(options: {
  route: AdminRoute
  services: AdminApiServices
  audit: AuditContext
}) {
  const { route, services, audit } = options
  const attempted = route.action ?? route.records
  if (attempted === null || !isHighRisk(attempted)) return
  await services.auditLog.record(
    { ...audit, reason: null },
    {
      action: 'admin.access_denied',
      outcome: 'denied',
      evidence: {
        attemptedAction: attempted,
        requiredPermission: route.permission,
        method: route.method,
        route: `/admin/v1${route.url}`,
      },
    },
  )
}

function splitReason(body: unknown): { reason: unknown; rest: unknown } {
  if (body === undefined || body === null) return { reason: undefined, rest: {} }
  if (typeof body !== 'object' || Array.isArray(body) || !('reason' in body))
    return { reason: undefined, rest: body }
  const { reason, ...rest } = body as Record<string, unknown>
  return { reason, rest }
}

function parseWith(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw zodToInvalidRequest(parsed.error)
  return parsed.data
}

function cookieControl(request: FastifyRequest, reply: FastifyReply): SessionCookieControl {
  return {
    set: (session) => setSessionCookie(request, reply, session),
    clear: () => clearSessionCookie(request, reply),
  }
}

function csrfOf(auth: AdminRequestAuth | undefined, services: AdminServices): string | null {
  return auth?.sessionToken ? services.auth.csrfTokenFor(auth.sessionToken) : null
}
