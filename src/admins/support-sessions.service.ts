import type { AuditContext } from '../audit/audit-event.js'
import type { Logger } from '../lib/logger.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { InvalidRequestError, NotFoundError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { AdminConflictError } from './admin-errors.js'
import type { AdminServiceDeps } from './admin-deps.js'
import { assertOrganizationExists } from './organization-check.js'
import {
  endSupportSessionRow,
  findExpiredOpenSupportSessions,
  findOpenSupportSessionOf,
  findSupportSession,
  insertSupportSession,
  listOpenSupportSessions,
  type SupportSessionRow,
} from './support-sessions.repository.js'

/** A support session as the API shows it. */
export interface SupportSession {
  supportSessionId: string
  adminId: string
  organizationId: string
  reasonCode: string
  reasonNote: string | null
  startedAt: string
  expiresAt: string
  endedAt: string | null
  endReason: 'ended' | 'expired' | null
}

export interface SupportSessionsService {
  start(
    audit: AuditContext,
    input: { adminId: string; organizationId: string; durationMs: number },
  ): Promise<SupportSession>
  end(
    audit: AuditContext,
    input: { supportSessionId: string; actorAdminId: string; mayEndAny: boolean },
  ): Promise<SupportSession>
  listActive(options: { adminId?: string }): Promise<SupportSession[]>
  /** The admin's running session, or null; one past its time is expired (and recorded) first. */
  activeFor(adminId: string): Promise<SupportSession | null>
  /** Expire every session past its time, each with a `support_session.expire` event. */
  expireDue(): Promise<number>
}

/** The system actor that closes sessions whose time ran out. */
export const SUPPORT_SESSION_EXPIRY_ACTOR = 'system:support_session:expiry'

function rowToSupportSession(row: SupportSessionRow): SupportSession {
  return {
    supportSessionId: row.support_session_id,
    adminId: row.admin_id,
    organizationId: row.organization_id,
    reasonCode: row.reason_code,
    reasonNote: row.reason_note,
    startedAt: row.started_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    endReason: row.end_reason === 'ended' || row.end_reason === 'expired' ? row.end_reason : null,
  }
}

function auditView(session: SupportSession): Record<string, unknown> {
  return {
    adminId: session.adminId,
    organizationId: session.organizationId,
    expiresAt: session.expiresAt,
    endedAt: session.endedAt,
    mode: session.endReason ?? 'active',
  }
}

/** Sentinel: another process ended the session first, so this attempt records nothing. */
class AlreadyEnded extends Error {}

/**
 * Time-boxed support sessions. While one is open, every audit event its admin causes carries
 * the session id and the admin as impersonator (the HTTP layer adds both to the context).
 */
export function createSupportSessionsService(deps: AdminServiceDeps): SupportSessionsService {
  const { db, clock, auditLog, policy } = deps
  const isDue = (row: SupportSessionRow) => Date.parse(row.expires_at) <= clock.nowMs()

  /** End one session as expired; false when someone else ended it first. */
  async function expire(row: SupportSessionRow): Promise<boolean> {
    const context: AuditContext = {
      actor: { type: 'system', id: SUPPORT_SESSION_EXPIRY_ACTOR, role: null },
      ip: null,
      userAgent: null,
      requestId: null,
      supportSessionId: row.support_session_id,
      impersonatorId: row.admin_id,
    }
    try {
      await auditLog.run(context, 'support_session.expire', async (tx) => {
        const ended = await endSupportSessionRow(tx, {
          supportSessionId: row.support_session_id,
          endedAt: row.expires_at,
          endReason: 'expired',
        })
        if (!ended) throw new AlreadyEnded()
        return {
          result: undefined,
          event: {
            organizationId: ended.organization_id,
            target: { type: 'support_session', id: ended.support_session_id },
            before: auditView(rowToSupportSession(row)),
            after: auditView(rowToSupportSession(ended)),
          },
        }
      })
      return true
    } catch (err) {
      if (err instanceof AlreadyEnded) return false
      throw err
    }
  }

  return {
    start: async (audit, input) => {
      if (!(input.durationMs > 0) || input.durationMs > policy.supportSessionMaxMs) {
        throw new InvalidRequestError(
          `A support session lasts at most ${Math.floor(policy.supportSessionMaxMs / 60_000)} minutes.`,
          { param: 'durationMinutes' },
        )
      }
      const open = await findOpenSupportSessionOf(db, input.adminId)
      if (open && isDue(open)) await expire(open)
      const nowMs = clock.nowMs()
      const id = newId('sup', nowMs)
      // The start event already belongs to the session it opens.
      const context = { ...audit, supportSessionId: id, impersonatorId: input.adminId }
      return auditLog.run(context, 'support_session.start', async (tx) => {
        await assertOrganizationExists(tx, input.organizationId)
        const current = await findOpenSupportSessionOf(tx, input.adminId)
        if (current && !isDue(current)) {
          throw new AdminConflictError(
            `Support session ${current.support_session_id} is still open; end it first.`,
            'support_session_active',
          )
        }
        const row = await insertSupportSession(tx, {
          support_session_id: id,
          admin_id: input.adminId,
          organization_id: input.organizationId,
          reason_code: audit.reason?.code ?? '',
          reason_note: audit.reason?.note ?? null,
          started_at: toIsoTimestamp(nowMs),
          expires_at: toIsoTimestamp(nowMs + input.durationMs),
          ended_at: null,
          end_reason: null,
        })
        const session = rowToSupportSession(row)
        return {
          result: session,
          event: {
            organizationId: session.organizationId,
            target: { type: 'support_session', id },
            after: auditView(session),
          },
        }
      })
    },

    end: async (audit, input) => {
      const row = await findSupportSession(db, input.supportSessionId)
      if (!row || (!input.mayEndAny && row.admin_id !== input.actorAdminId)) {
        throw new NotFoundError(`No support session with id '${input.supportSessionId}'.`, {
          param: 'supportSessionId',
        })
      }
      if (row.ended_at === null && isDue(row)) await expire(row)
      const context = {
        ...audit,
        supportSessionId: row.support_session_id,
        impersonatorId: row.admin_id,
      }
      return auditLog.run(context, 'support_session.end', async (tx) => {
        const ended = await endSupportSessionRow(tx, {
          supportSessionId: row.support_session_id,
          endedAt: toIsoTimestamp(clock.nowMs()),
          endReason: 'ended',
        })
        if (!ended)
          throw new AdminConflictError(
            'The support session has already ended.',
            'support_session_ended',
          )
        const session = rowToSupportSession(ended)
        return {
          result: session,
          event: {
            organizationId: session.organizationId,
            target: { type: 'support_session', id: session.supportSessionId },
            before: auditView(rowToSupportSession(row)),
            after: auditView(session),
          },
        }
      })
    },

    listActive: async (options) =>
      (await listOpenSupportSessions(db, options))
        .filter((row) => !isDue(row))
        .map(rowToSupportSession),

    activeFor: async (adminId) => {
      const row = await findOpenSupportSessionOf(db, adminId)
      if (!row) return null
      if (isDue(row)) {
        await expire(row)
        return null
      }
      return rowToSupportSession(row)
    },

    expireDue: async () => {
      let expired = 0
      for (;;) {
        const due = await findExpiredOpenSupportSessions(db, {
          now: toIsoTimestamp(clock.nowMs()),
          limit: 100,
        })
        for (const row of due) if (await expire(row)) expired += 1
        if (due.length < 100) return expired
      }
    },
  }
}

/**
 * Expire support sessions on a timer, so a session nobody touches still ends on time and its
 * expiry is recorded. Requests also expire their own admin's session lazily.
 */
export function startSupportSessionReaper(options: {
  service: SupportSessionsService
  intervalMs: number
  logger: Logger
}): { stop(): void } {
  const timer = setInterval(() => {
    options.service.expireDue().then(
      (count) => {
        if (count > 0) options.logger.info({ count }, 'support sessions expired')
      },
      (err: unknown) => options.logger.error({ err }, 'expiring support sessions failed'),
    )
  }, options.intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
