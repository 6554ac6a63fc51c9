import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  AuthenticationRequiredError,
  CsrfTokenError,
  matchesCsrfToken,
  type AdminPrincipal,
  type AdminServices,
  type SupportSession,
} from '../../admins/index.js'
import { readSessionCookie } from '../admin/session-cookie.js'

/** What authentication established for one admin request. */
export interface AdminRequestAuth {
  principal: AdminPrincipal
  /** The session token from the cookie (session logins only): the CSRF token derives from it. */
  sessionToken: string | null
  /** The admin's open support session, whose ids every audit event of this request carries. */
  supportSession: SupportSession | null
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
export const CSRF_HEADER = 'x-csrf-token'

/**
 * Authenticate an admin request: a bearer admin token (`Authorization: Bearer fadm_…`) or the
 * session cookie. A cookie-authenticated state change must also carry the session's CSRF token
 * in `x-csrf-token`; a bearer request needs none (a browser never adds it on its own).
 */
export async function authenticateAdmin(
  request: FastifyRequest,
  services: AdminServices,
): Promise<AdminRequestAuth> {
  const bearer = bearerToken(request)
  let principal: AdminPrincipal
  let sessionToken: string | null = null
  if (bearer !== undefined) {
    principal = await services.auth.authenticateToken(bearer)
  } else {
    const cookie = readSessionCookie(request)
    if (cookie === undefined) throw new AuthenticationRequiredError()
    principal = await services.auth.authenticateSession(cookie)
    sessionToken = cookie
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers[CSRF_HEADER]
      if (
        typeof presented !== 'string' ||
        !matchesCsrfToken(services.csrfKey, { sessionToken: cookie, presented })
      ) {
        throw new CsrfTokenError()
      }
    }
  }
  const supportSession = await services.supportSessions.activeFor(principal.admin.adminId)
  return { principal, sessionToken, supportSession }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  // A malformed Authorization header is a bad credential, not a missing one.
  return match ? match[1] : ''
}

/**
 * The authentication hook of the admin API: runs before every admin route except public ones
 * (login) and leaves the result on `request.adminAuth` for the route helper.
 */
export function registerAdminAuthentication(app: FastifyInstance, services: AdminServices): void {
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.config.adminRoute
    if (route === undefined || route.permission === 'public') return
    request.adminAuth = await authenticateAdmin(request, services)
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin authentication hook on every non-public admin route. */
    adminAuth?: AdminRequestAuth
  }
}
