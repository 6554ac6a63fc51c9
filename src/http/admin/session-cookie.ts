import type { FastifyReply, FastifyRequest } from 'fastify'

/** The admin session cookie: scoped to the admin API, never readable by page scripts. */
export const SESSION_COOKIE = 'ferry_admin_session'
const COOKIE_PATH = '/admin/v1'

/** The session token from the request's Cookie header, if any. */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue
    const value = part.slice(eq + 1).trim()
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined
  }
  return undefined
}

/**
 * Set the session cookie: HttpOnly (no script reads it), SameSite=Strict (no cross-site request
 * carries it), Secure whenever the request came over HTTPS (Fastify reads X-Forwarded-Proto
 * from trusted proxies only).
 */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  session: { token: string; maxAgeMs: number },
): void {
  void reply.header(
    'set-cookie',
    cookieLine(request, session.token, Math.floor(session.maxAgeMs / 1000)),
  )
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('set-cookie', cookieLine(request, '', 0))
}

function cookieLine(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(request.protocol === 'https' ? ['Secure'] : []),
  ]
  return attributes.join('; ')
}
