import type { AuditContext } from '../audit/audit-event.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { NotFoundError } from '../lib/errors.js'
import { openSecret, sealSecret } from '../secrets/aead.js'
import type { Db } from '../storage/index.js'
import { AdminConflictError, InvalidTotpCodeError } from './admin-errors.js'
import type { AdminKeys, AdminServiceDeps } from './admin-deps.js'
import { liftSessionRestriction } from './admin-sessions.repository.js'
import { adminAuditView } from './admin-user.js'
import {
  findAdminUserById,
  findMfaRequired,
  rowToAdminUser,
  saveMfaRequired,
  updateAdminUser,
  type AdminUserRow,
} from './admins.repository.js'
import { assertMayManageRole } from './manage-rules.js'
import type { AdminRole } from './permissions.js'
import { generateTotpSecret, totpUri, verifyTotpCode } from './totp.js'

/** What enrolment shows once: the secret (for manual entry) and the URI (for a QR code). */
export interface TotpEnrolment {
  secret: string
  otpauthUri: string
}

export interface AdminMfaService {
  startEnrolment(audit: AuditContext, adminId: string): Promise<TotpEnrolment>
  confirmEnrolment(audit: AuditContext, input: { adminId: string; code: string }): Promise<void>
  disableOwn(audit: AuditContext, input: { adminId: string; code: string }): Promise<void>
  /** Another admin clears a lost second factor; the admin enrols again at next login. */
  resetFor(audit: AuditContext, adminId: string): Promise<void>
  isRequired(): Promise<boolean>
  setRequired(audit: AuditContext, required: boolean): Promise<{ mfaRequired: boolean }>
}

/**
 * Check a TOTP code for an enrolled admin and, when it is good, remember its time step so it
 * cannot be used again. Returns false for a wrong, stale or replayed code.
 */
export async function consumeTotpCode(
  db: Db,
  options: { row: AdminUserRow; code: string; keys: AdminKeys; nowMs: number },
): Promise<boolean> {
  const { row } = options
  if (row.totp_secret_sealed === null) return false
  const secret = openSecret(options.keys.totpSecret, {
    sealed: row.totp_secret_sealed,
    context: row.admin_id,
  })
  const step = verifyTotpCode({ secret, code: options.code, nowMs: options.nowMs })
  if (step === null || (row.totp_last_step !== null && BigInt(step) <= row.totp_last_step))
    return false
  await updateAdminUser(db, row.admin_id, { totp_last_step: BigInt(step) })
  return true
}

/** TOTP enrolment and removal, and the owner's "MFA for everyone" switch. */
export function createAdminMfaService(deps: AdminServiceDeps): AdminMfaService {
  const { db, clock, auditLog, keys } = deps
  const now = () => toIsoTimestamp(clock.nowMs())

  async function loadAdmin(tx: Db, adminId: string): Promise<AdminUserRow> {
    const row = await findAdminUserById(tx, adminId)
    if (!row) throw new NotFoundError(`No admin with id '${adminId}'.`, { param: 'adminId' })
    return row
  }

  function describe(before: AdminUserRow, after: AdminUserRow) {
    return {
      target: { type: 'admin_user' as const, id: after.admin_id, label: after.email },
      before: adminAuditView(rowToAdminUser(before)),
      after: adminAuditView(rowToAdminUser(after)),
    }
  }

  async function clearTotp(tx: Db, row: AdminUserRow): Promise<AdminUserRow> {
    return updateAdminUser(tx, row.admin_id, {
      totp_secret_sealed: null,
      totp_pending_sealed: null,
      totp_enabled_at: null,
      totp_last_step: null,
      updated_at: now(),
    })
  }

  return {
    startEnrolment: (audit, adminId) =>
      auditLog.run(audit, 'admin.mfa_enroll_start', async (tx) => {
        const row = await loadAdmin(tx, adminId)
        if (row.totp_secret_sealed !== null) {
          throw new AdminConflictError(
            'TOTP is already enabled; disable it first to enrol a new device.',
            'totp_already_enabled',
          )
        }
        const secret = generateTotpSecret()
        const updated = await updateAdminUser(tx, adminId, {
          totp_pending_sealed: sealSecret(keys.totpSecret, { plaintext: secret, context: adminId }),
          updated_at: now(),
        })
        return {
          result: { secret, otpauthUri: totpUri({ secret, accountName: row.email }) },
          event: describe(row, updated),
        }
      }),

    confirmEnrolment: (audit, input) =>
      auditLog.run(audit, 'admin.mfa_enroll', async (tx) => {
        const row = await loadAdmin(tx, input.adminId)
        if (row.totp_pending_sealed === null) {
          throw new AdminConflictError(
            'No TOTP enrolment is in progress; start one first.',
            'totp_not_enrolled',
          )
        }
        const secret = openSecret(keys.totpSecret, {
          sealed: row.totp_pending_sealed,
          context: row.admin_id,
        })
        const step = verifyTotpCode({ secret, code: input.code, nowMs: clock.nowMs() })
        if (step === null) throw new InvalidTotpCodeError(400)
        const at = now()
        const updated = await updateAdminUser(tx, row.admin_id, {
          totp_secret_sealed: row.totp_pending_sealed,
          totp_pending_sealed: null,
          totp_enabled_at: at,
          totp_last_step: BigInt(step),
          updated_at: at,
        })
        await liftSessionRestriction(tx, row.admin_id)
        return { result: undefined, event: describe(row, updated) }
      }),

    disableOwn: (audit, input) =>
      auditLog.run(audit, 'admin.mfa_disable', async (tx) => {
        const row = await loadAdmin(tx, input.adminId)
        if (row.totp_secret_sealed === null) {
          throw new AdminConflictError('TOTP is not enabled.', 'totp_not_enrolled')
        }
        const ok = await consumeTotpCode(tx, { row, code: input.code, keys, nowMs: clock.nowMs() })
        if (!ok) throw new InvalidTotpCodeError(400)
        return { result: undefined, event: describe(row, await clearTotp(tx, row)) }
      }),

    resetFor: (audit, adminId) =>
      auditLog.run(audit, 'admin.mfa_disable', async (tx) => {
        const row = await loadAdmin(tx, adminId)
        assertMayManageRole(audit, [row.role as AdminRole])
        if (row.totp_secret_sealed === null && row.totp_pending_sealed === null) {
          throw new AdminConflictError('TOTP is not enabled.', 'totp_not_enrolled')
        }
        return { result: undefined, event: describe(row, await clearTotp(tx, row)) }
      }),

    isRequired: () => findMfaRequired(db),

    setRequired: (audit, required) =>
      auditLog.run(audit, 'admin.mfa_requirement_update', async (tx) => {
        const before = await findMfaRequired(tx)
        await saveMfaRequired(tx, { required, updatedAt: now() })
        return {
          result: { mfaRequired: required },
          event: {
            target: { type: 'settings', id: 'admin_mfa_required', label: 'admin MFA requirement' },
            before: { name: 'admin_mfa_required', value: before },
            after: { name: 'admin_mfa_required', value: required },
          },
        }
      }),
  }
}
