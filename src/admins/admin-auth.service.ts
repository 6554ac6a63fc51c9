import { createHash } from 'node:crypto'
import type { AuditContext } from '../audit/audit-event.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { InvalidRequestError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { openSecret } from '../secrets/aead.js'
import {
  IncorrectPasswordError,
  InvalidAuthenticationError,
  InvalidCredentialsError,
  InvalidTotpCodeError,
  LoginLockedError,
  SessionExpiredError,
  TotpRequiredError,
} from './admin-errors.js'
import type { AdminServiceDeps } from './admin-deps.js'
import {
  csrfTokenFor,
  hashAdminSecret,
  matchesAdminSecret,
  mintSessionToken,
  parseAdminToken,
} from './admin-secrets.js'
import {
  deleteAdminSession,
  deleteAdminSessionsOf,
  findAdminSessionByTokenHash,
  insertAdminSession,
  touchAdminSession,
} from './admin-sessions.repository.js'
import { findAdminToken, touchAdminToken } from './admin-tokens.repository.js'
import { normalizeEmail, type AdminUser } from './admin-user.js'
import {
  findAdminUserByEmail,
  findAdminUserById,
  findMfaRequired,
  findPermissionOverrides,
  rowToAdminUser,
  updateAdminUser,
  type AdminUserRow,
} from './admins.repository.js'
import { createKeyedSerializer } from './keyed-serializer.js'
import {
  clearLoginFailures,
  findLoginFailures,
  saveLoginFailures,
} from './login-failures.repository.js'
import {
  ACCOUNT_THROTTLE,
  ADDRESS_THROTTLE,
  lockRemainingMs,
  registerFailure,
} from './login-throttle.js'
import {
  assertPasswordPolicy,
  burnPasswordCheck,
  hashPassword,
  verifyPassword,
} from './password.js'
import {
  effectivePermissions,
  isPermission,
  tokenPermissions,
  type Permission,
} from './permissions.js'
import { verifyTotpCode } from './totp.js'

/** An authenticated admin request: who, through which credential, allowed to do what. */
export interface AdminPrincipal {
  admin: AdminUser
  via: 'session' | 'token'
  /** The session id or the admin token id. */
  credentialId: string
  permissions: ReadonlySet<Permission>
  /** MFA is mandatory and this admin has not enrolled: only enrolment routes may be used. */
  restricted: boolean
}

export interface LoginResult {
  admin: AdminUser
  sessionToken: string
  csrfToken: string
  expiresAt: string
  mfaEnrollmentRequired: boolean
}

export interface AdminAuthService {
  login(
    audit: AuditContext,
    input: { email: string; password: string; totpCode?: string },
  ): Promise<LoginResult>
  logout(audit: AuditContext, principal: AdminPrincipal): Promise<void>
  authenticateSession(sessionToken: string): Promise<AdminPrincipal>
  authenticateToken(token: string): Promise<AdminPrincipal>
  csrfTokenFor(sessionToken: string): string
  changeOwnPassword(
    audit: AuditContext,
    input: { principal: AdminPrincipal; currentPassword: string; newPassword: string },
  ): Promise<void>
}

/** Touch last-seen and last-used stamps at most this often: one write per minute, not per request. */
const TOUCH_INTERVAL_MS = 60_000

/**
 * Password login with lockout and optional TOTP, server-side sessions, admin API tokens. A
 * failed login says the same thing whether or not the email exists, and costs the same time.
 */
export function createAdminAuthService(deps: AdminServiceDeps): AdminAuthService {
  const { db, clock, auditLog, keys, policy } = deps
  // Fixes a lockout bypass (#11): concurrent guesses all read the failure count before any of
  // them recorded a failure, so 40 parallel guesses were all checked against the password.
  // Attempts sharing an account or an address now run one after another in this process; the
  // counts are shared in the database, so N processes allow at most N guesses in flight.
  const loginAttempts = createKeyedSerializer()

  async function permissionsOf(row: AdminUserRow): Promise<ReadonlySet<Permission>> {
    const admin = rowToAdminUser(row)
    return effectivePermissions({
      role: admin.role,
      overrides: await findPermissionOverrides(db, row.admin_id),
    })
  }

  /** Count a failure against the account and the address, record it, and answer as a failure. */
  async function failLogin(
    audit: AuditContext,
    failure: { throttleKeys: string[]; row: AdminUserRow | undefined; cause: string; error: Error },
  ): Promise<never> {
    const nowMs = clock.nowMs()
    const states = await findLoginFailures(db, failure.throttleKeys)
    for (const key of failure.throttleKeys) {
      const policyFor = key.startsWith('account:') ? ACCOUNT_THROTTLE : ADDRESS_THROTTLE
      await saveLoginFailures(db, {
        key,
        state: registerFailure(states.get(key), { nowMs, policy: policyFor }),
      })
    }
    await auditLog.record(audit, {
      action: 'admin.login_failed',
      outcome: 'failure',
      // The attempted email is kept only when it names an admin: a password typed into the
      // email field must not land in the audit log.
      ...(failure.row
        ? { target: { type: 'admin_user', id: failure.row.admin_id, label: failure.row.email } }
        : {}),
      evidence: { cause: failure.cause },
    })
    throw failure.error
  }

  /** One login attempt, with its account and address already serialized (see loginAttempts). */
  async function attemptLogin(
    audit: AuditContext,
    attempt: {
      input: { email: string; password: string; totpCode?: string }
      email: string
      accountKey: string
      throttleKeys: string[]
    },
  ): Promise<LoginResult> {
    const { input, email, accountKey, throttleKeys } = attempt
    const nowMs = clock.nowMs()
    const states = await findLoginFailures(db, throttleKeys)
    const lockedMs = Math.max(0, ...throttleKeys.map((k) => lockRemainingMs(states.get(k), nowMs)))
    if (lockedMs > 0) {
      await auditLog.record(audit, {
        action: 'admin.login_failed',
        outcome: 'denied',
        evidence: { cause: 'locked_out' },
      })
      throw new LoginLockedError(Math.ceil(lockedMs / 1000))
    }

    const row = await findAdminUserByEmail(db, email)
    const fail = (cause: string, error: Error = new InvalidCredentialsError()) =>
      failLogin(audit, { throttleKeys, row, cause, error })
    if (!row) {
      await burnPasswordCheck(input.password)
      return fail('unknown_email')
    }
    if (!(await verifyPassword(input.password, row.password_hash))) return fail('invalid_password')
    if (row.status !== 'active') return fail('admin_disabled')

    let totpStep: number | null = null
    if (row.totp_secret_sealed !== null) {
      if (input.totpCode === undefined || input.totpCode === '') throw new TotpRequiredError()
      const secret = openSecret(keys.totpSecret, {
        sealed: row.totp_secret_sealed,
        context: row.admin_id,
      })
      totpStep = verifyTotpCode({ secret, code: input.totpCode, nowMs })
      const replayed =
        totpStep !== null && row.totp_last_step !== null && BigInt(totpStep) <= row.totp_last_step
      if (totpStep === null || replayed)
        return fail('invalid_totp_code', new InvalidTotpCodeError())
    }

    const restricted = row.totp_secret_sealed === null && (await findMfaRequired(db))
    const sessionToken = mintSessionToken()
    const at = toIsoTimestamp(nowMs)
    const expiresAt = toIsoTimestamp(nowMs + policy.sessionAbsoluteTimeoutMs)
    const actorAudit: AuditContext = {
      ...audit,
      actor: { type: 'user', id: row.admin_id, role: row.role },
    }
    await auditLog.run(actorAudit, 'admin.login', async (tx) => {
      const id = newId('ses', nowMs)
      await insertAdminSession(tx, {
        session_id: id,
        admin_id: row.admin_id,
        token_hash: hashAdminSecret(keys.sessionHash, sessionToken),
        created_at: at,
        last_seen_at: at,
        expires_at: expiresAt,
        restricted: restricted ? 1n : 0n,
        ip: audit.ip,
        user_agent: audit.userAgent?.slice(0, 512) ?? null,
      })
      await updateAdminUser(tx, row.admin_id, {
        last_login_at: at,
        ...(totpStep !== null ? { totp_last_step: BigInt(totpStep) } : {}),
      })
      await clearLoginFailures(tx, accountKey)
      return {
        result: id,
        event: {
          target: { type: 'admin_session', id, label: row.email },
          after: {
            adminId: row.admin_id,
            expiresAt,
            method: totpStep !== null ? 'password+totp' : 'password',
          },
        },
      }
    })
    return {
      admin: rowToAdminUser({ ...row, last_login_at: at }),
      sessionToken,
      csrfToken: csrfTokenFor(keys.sessionHash, sessionToken),
      expiresAt,
      mfaEnrollmentRequired: restricted,
    }
  }

  return {
    login: (audit, input) => {
      const email = normalizeEmail(input.email)
      // Hashed: whatever was typed as an email (a password, by mistake) is not stored in clear.
      const accountKey = `account:${createHash('sha256').update(email).digest('hex').slice(0, 32)}`
      const throttleKeys = [accountKey, ...(audit.ip ? [`address:${audit.ip}`] : [])]
      return loginAttempts.run(throttleKeys, () =>
        attemptLogin(audit, { input, email, accountKey, throttleKeys }),
      )
    },
    logout: async (audit, principal) => {
      if (principal.via !== 'session') {
        throw new InvalidRequestError(
          'Logout ends a session. Admin API tokens are revoked with DELETE /admin/v1/admin-tokens/{tokenId}.',
          { code: 'not_a_session' },
        )
      }
      await auditLog.run(audit, 'admin.logout', async (tx) => {
        await deleteAdminSession(tx, principal.credentialId)
        return {
          result: undefined,
          event: {
            target: {
              type: 'admin_session',
              id: principal.credentialId,
              label: principal.admin.email,
            },
            before: { adminId: principal.admin.adminId },
          },
        }
      })
    },

    authenticateSession: async (sessionToken) => {
      const nowMs = clock.nowMs()
      const session = await findAdminSessionByTokenHash(
        db,
        hashAdminSecret(keys.sessionHash, sessionToken),
      )
      if (!session) throw new InvalidAuthenticationError()
      const lastSeenMs = Date.parse(session.last_seen_at)
      if (
        nowMs >= Date.parse(session.expires_at) ||
        nowMs >= lastSeenMs + policy.sessionIdleTimeoutMs
      ) {
        await deleteAdminSession(db, session.session_id)
        throw new SessionExpiredError()
      }
      const row = await findAdminUserById(db, session.admin_id)
      if (!row || row.status !== 'active') throw new InvalidAuthenticationError()
      if (nowMs - lastSeenMs >= TOUCH_INTERVAL_MS) {
        await touchAdminSession(db, {
          sessionId: session.session_id,
          lastSeenAt: toIsoTimestamp(nowMs),
        })
      }
      return {
        admin: rowToAdminUser(row),
        via: 'session',
        credentialId: session.session_id,
        permissions: await permissionsOf(row),
        restricted: session.restricted === 1n,
      }
    },

    authenticateToken: async (token) => {
      const nowMs = clock.nowMs()
      const parsed = parseAdminToken(token)
      const stored = parsed ? await findAdminToken(db, parsed.tokenId) : undefined
      if (
        !stored ||
        !matchesAdminSecret(keys.tokenHash, { presented: token, storedHash: stored.token_hash })
      ) {
        throw new InvalidAuthenticationError()
      }
      if (stored.revoked_at !== null)
        throw new InvalidAuthenticationError('This admin token has been revoked.')
      if (stored.expires_at !== null && nowMs >= Date.parse(stored.expires_at)) {
        throw new InvalidAuthenticationError('This admin token has expired.')
      }
      const row = await findAdminUserById(db, stored.admin_id)
      if (!row || row.status !== 'active') throw new InvalidAuthenticationError()
      if (
        stored.last_used_at === null ||
        nowMs - Date.parse(stored.last_used_at) >= TOUCH_INTERVAL_MS
      ) {
        await touchAdminToken(db, { tokenId: stored.token_id, usedAt: toIsoTimestamp(nowMs) })
      }
      const narrowed =
        stored.permissions_json === null
          ? null
          : (JSON.parse(stored.permissions_json) as string[]).filter(isPermission)
      return {
        admin: rowToAdminUser(row),
        via: 'token',
        credentialId: stored.token_id,
        permissions: tokenPermissions({
          adminPermissions: await permissionsOf(row),
          tokenPermissions: narrowed,
        }),
        restricted: false,
      }
    },

    csrfTokenFor: (sessionToken) => csrfTokenFor(keys.sessionHash, sessionToken),

    changeOwnPassword: async (audit, input) => {
      const row = await findAdminUserById(db, input.principal.admin.adminId)
      if (!row || !(await verifyPassword(input.currentPassword, row.password_hash))) {
        throw new IncorrectPasswordError()
      }
      assertPasswordPolicy(input.newPassword)
      const passwordHash = await hashPassword(input.newPassword)
      await auditLog.run(audit, 'admin.password_change', async (tx) => {
        const at = toIsoTimestamp(clock.nowMs())
        await updateAdminUser(tx, row.admin_id, {
          password_hash: passwordHash,
          password_changed_at: at,
          updated_at: at,
        })
        // Every other session ends: a password change is how an admin evicts a stolen session.
        const ended = await deleteAdminSessionsOf(tx, {
          adminId: row.admin_id,
          ...(input.principal.via === 'session'
            ? { exceptSessionId: input.principal.credentialId }
            : {}),
        })
        return {
          result: undefined,
          event: {
            target: { type: 'admin_user', id: row.admin_id, label: row.email },
            evidence: { otherSessionsEnded: ended },
          },
        }
      })
    },
  }
}
