import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AuditContext, AuditReason } from '../../audit/audit-event.js'
import { zodToInvalidRequest } from '../openai-error.js'
import type { AdminRequestAuth } from '../middleware/authenticate-admin.js'

export const REASON_HEADERS = { code: 'x-ferry-reason-code', note: 'x-ferry-reason-note' } as const

/** The `reason` every admin request body may carry: a short code and an optional note. */
export const ReasonSchema = z.strictObject({
  code: z.string().min(1).max(64),
  note: z.string().max(500).optional(),
})

/**
 * The reason a request gives: the body's `reason` field, else the `x-ferry-reason-code` and
 * `x-ferry-reason-note` headers (for DELETE and other requests without a body). The format of
 * the code is checked by the audit log (`invalid_reason`).
 */
export function readReason(request: FastifyRequest, bodyReason: unknown): AuditReason | null {
  if (bodyReason !== undefined) {
    const parsed = ReasonSchema.safeParse(bodyReason)
    if (!parsed.success) throw prefixed(parsed.error)
    return { code: parsed.data.code, note: parsed.data.note ?? null }
  }
  const code = request.headers[REASON_HEADERS.code]
  if (typeof code !== 'string' || code === '') return null
  const note = request.headers[REASON_HEADERS.note]
  return { code, note: typeof note === 'string' && note !== '' ? note.slice(0, 500) : null }
}

function prefixed(err: z.ZodError) {
  return zodToInvalidRequest(
    new z.ZodError(err.issues.map((issue) => ({ ...issue, path: ['reason', ...issue.path] }))),
  )
}

/** The audit context of an admin request: who, from where, in which support session, and why. */
export function buildAuditContext(
  request: FastifyRequest,
  options: { auth: AdminRequestAuth | undefined; reason: AuditReason | null },
): AuditContext {
  const { auth } = options
  const principal = auth?.principal
  const userAgent = request.headers['user-agent']
  return {
    actor: principal
      ? {
          type: principal.via === 'token' ? 'api_token' : 'user',
          id: principal.via === 'token' ? principal.credentialId : principal.admin.adminId,
          role: principal.admin.role,
        }
      : { type: 'user', id: 'anonymous', role: null },
    // request.ip honours server.trustedProxies (Fastify's trustProxy), never a spoofed header.
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    requestId: request.id,
    supportSessionId: auth?.supportSession?.supportSessionId ?? null,
    impersonatorId: auth?.supportSession ? auth.supportSession.adminId : null,
    reason: options.reason,
  }
}
