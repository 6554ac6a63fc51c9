import type { AuditContext } from '../audit/audit-event.js'
import type { AuditedTx } from '../audit/run-audited.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { NotFoundError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { AdminConflictError, PermissionDeniedError } from './admin-errors.js'
import type { AdminServiceDeps } from './admin-deps.js'
import { deleteAdminSessionsOf } from './admin-sessions.repository.js'
import {
  adminAuditView,
  normalizeEmail,
  type AdminUser,
  type AdminUserWithPermissions,
} from './admin-user.js'
import {
  countActiveOwners,
  countAdminUsers,
  deletePermissionOverride,
  findAdminUserByEmail,
  findAdminUserById,
  findPermissionOverrides,
  findPermissionOverridesOf,
  insertAdminUser,
  listAdminUsers,
  rowToAdminUser,
  updateAdminUser,
  upsertPermissionOverride,
  type AdminUserRow,
} from './admins.repository.js'
import { assertMayGrant, assertMayManageRole } from './manage-rules.js'
import { assertPasswordPolicy, hashPassword } from './password.js'
import {
  ROLE_PERMISSIONS,
  effectivePermissions,
  sortedPermissions,
  type AdminRole,
  type Permission,
  type PermissionOverride,
} from './permissions.js'

/** Who is asking, for the rules that depend on it (no escalation past your own permissions). */
interface Actor {
  audit: AuditContext
  /** The acting admin's permissions; undefined for the CLI, which acts as the operator. */
  permissions?: ReadonlySet<Permission>
}

export interface AdminUsersService {
  listAdmins(): Promise<AdminUserWithPermissions[]>
  getAdmin(adminId: string): Promise<AdminUserWithPermissions>
  findAdminByEmail(email: string): Promise<AdminUser | undefined>
  countAdmins(): Promise<number>
  createAdmin(
    actor: Actor,
    input: { email: string; displayName?: string; role: AdminRole; password: string },
  ): Promise<AdminUserWithPermissions>
  updateAdmin(
    actor: Actor,
    input: { adminId: string; displayName: string },
  ): Promise<AdminUserWithPermissions>
  changeRole(
    actor: Actor,
    input: { adminId: string; role: AdminRole },
  ): Promise<AdminUserWithPermissions>
  grantPermission(
    actor: Actor,
    input: { adminId: string; permission: Permission },
  ): Promise<AdminUserWithPermissions>
  revokePermission(
    actor: Actor,
    input: { adminId: string; permission: Permission },
  ): Promise<AdminUserWithPermissions>
  disableAdmin(actor: Actor, adminId: string): Promise<AdminUserWithPermissions>
  enableAdmin(actor: Actor, adminId: string): Promise<AdminUserWithPermissions>
  resetPassword(
    actor: Actor,
    input: { adminId: string; newPassword: string },
  ): Promise<AdminUserWithPermissions>
}

/**
 * Admin accounts: create, rename, change role, grant and revoke permissions, disable and enable,
 * reset a password. Every change runs through `auditLog.run`, so it commits with its event.
 */
export function createAdminUsersService(deps: AdminServiceDeps): AdminUsersService {
  const { db, clock, auditLog } = deps
  const now = () => toIsoTimestamp(clock.nowMs())

  async function withPermissions(
    tx: AuditedTx | typeof db,
    row: AdminUserRow,
  ): Promise<AdminUserWithPermissions> {
    return present(rowToAdminUser(row), await findPermissionOverrides(tx, row.admin_id))
  }

  async function loadTarget(tx: AuditedTx, adminId: string): Promise<AdminUserRow> {
    const row = await findAdminUserById(tx, adminId)
    if (!row) throw new NotFoundError(`No admin with id '${adminId}'.`, { param: 'adminId' })
    return row
  }

  /** One audited change to one admin: load, check, change, describe before and after. */
  async function changeAdmin(
    actor: Actor,
    options: {
      action: Parameters<typeof auditLog.run>[1]
      adminId: string
      change: (tx: AuditedTx, row: AdminUserRow) => Promise<AdminUserRow>
    },
  ): Promise<AdminUserWithPermissions> {
    return auditLog.run(actor.audit, options.action, async (tx) => {
      const row = await loadTarget(tx, options.adminId)
      const beforeOverrides = await findPermissionOverrides(tx, row.admin_id)
      const updated = await options.change(tx, row)
      const result = await withPermissions(tx, updated)
      return {
        result,
        event: {
          target: { type: 'admin_user', id: row.admin_id, label: row.email },
          before: adminAuditView(rowToAdminUser(row), beforeOverrides),
          after: adminAuditView(result, result.overrides),
        },
      }
    })
  }

  /** Refuse a change that would leave no active owner: the platform must stay administrable. */
  async function assertOwnerRemains(tx: AuditedTx, row: AdminUserRow): Promise<void> {
    if (row.role === 'owner' && row.status === 'active' && (await countActiveOwners(tx)) <= 1) {
      throw new AdminConflictError(
        'This is the last active owner; make another owner first.',
        'last_owner',
      )
    }
  }

  return {
    listAdmins: async () => {
      const rows = await listAdminUsers(db)
      const overrides = await findPermissionOverridesOf(
        db,
        rows.map((r) => r.admin_id),
      )
      return rows.map((row) => present(rowToAdminUser(row), overrides.get(row.admin_id) ?? []))
    },

    getAdmin: async (adminId) => {
      const row = await findAdminUserById(db, adminId)
      if (!row) throw new NotFoundError(`No admin with id '${adminId}'.`, { param: 'adminId' })
      return withPermissions(db, row)
    },

    findAdminByEmail: async (email) => {
      const row = await findAdminUserByEmail(db, normalizeEmail(email))
      return row ? rowToAdminUser(row) : undefined
    },

    countAdmins: () => countAdminUsers(db),

    createAdmin: async (actor, input) => {
      assertMayManageRole(actor.audit, [input.role])
      assertPasswordPolicy(input.password)
      const passwordHash = await hashPassword(input.password)
      return auditLog.run(actor.audit, 'admin.create', async (tx) => {
        const emailNormalized = normalizeEmail(input.email)
        if (await findAdminUserByEmail(tx, emailNormalized)) {
          throw new AdminConflictError(
            'An admin with this email already exists.',
            'admin_email_taken',
          )
        }
        const at = now()
        const row = await insertAdminUser(tx, {
          admin_id: newId('adm', clock.nowMs()),
          email: input.email.trim(),
          email_normalized: emailNormalized,
          display_name: input.displayName?.trim() || input.email.trim(),
          status: 'active',
          role: input.role,
          password_hash: passwordHash,
          password_changed_at: at,
          totp_secret_sealed: null,
          totp_pending_sealed: null,
          totp_enabled_at: null,
          totp_last_step: null,
          last_login_at: null,
          created_at: at,
          updated_at: at,
        })
        const result = present(rowToAdminUser(row), [])
        return {
          result,
          event: {
            target: { type: 'admin_user', id: row.admin_id, label: row.email },
            after: adminAuditView(result, []),
          },
        }
      })
    },

    updateAdmin: (actor, input) =>
      changeAdmin(actor, {
        action: 'admin.update',
        adminId: input.adminId,
        change: (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          return updateAdminUser(tx, row.admin_id, {
            display_name: input.displayName.trim(),
            updated_at: now(),
          })
        },
      }),

    changeRole: (actor, input) =>
      changeAdmin(actor, {
        action: 'admin.role_update',
        adminId: input.adminId,
        change: async (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole, input.role])
          if (input.role !== 'owner') await assertOwnerRemains(tx, row)
          return updateAdminUser(tx, row.admin_id, { role: input.role, updated_at: now() })
        },
      }),

    grantPermission: (actor, input) =>
      changeAdmin(actor, {
        action: 'admin.permission_grant',
        adminId: input.adminId,
        change: async (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          assertMayGrant(actor.permissions, input.permission)
          const inRole = ROLE_PERMISSIONS[row.role as AdminRole].includes(input.permission)
          // A grant of something the role has only lifts an earlier revocation.
          if (inRole)
            await deletePermissionOverride(tx, {
              adminId: row.admin_id,
              permission: input.permission,
            })
          else
            await upsertPermissionOverride(tx, {
              admin_id: row.admin_id,
              permission: input.permission,
              effect: 'grant',
              created_at: now(),
            })
          return updateAdminUser(tx, row.admin_id, { updated_at: now() })
        },
      }),

    revokePermission: (actor, input) =>
      changeAdmin(actor, {
        action: 'admin.permission_revoke',
        adminId: input.adminId,
        change: async (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          const inRole = ROLE_PERMISSIONS[row.role as AdminRole].includes(input.permission)
          // Revoking something only granted removes the grant; revoking a role permission records it.
          if (inRole)
            await upsertPermissionOverride(tx, {
              admin_id: row.admin_id,
              permission: input.permission,
              effect: 'revoke',
              created_at: now(),
            })
          else
            await deletePermissionOverride(tx, {
              adminId: row.admin_id,
              permission: input.permission,
            })
          return updateAdminUser(tx, row.admin_id, { updated_at: now() })
        },
      }),

    disableAdmin: (actor, adminId) =>
      changeAdmin(actor, {
        action: 'admin.disable',
        adminId,
        change: async (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          if (actor.audit.actor.id === row.admin_id) {
            throw new PermissionDeniedError('You cannot disable your own account.')
          }
          await assertOwnerRemains(tx, row)
          // Sessions end at once; the admin's tokens stop working because the admin is disabled.
          await deleteAdminSessionsOf(tx, { adminId: row.admin_id })
          return updateAdminUser(tx, row.admin_id, { status: 'disabled', updated_at: now() })
        },
      }),

    enableAdmin: (actor, adminId) =>
      changeAdmin(actor, {
        action: 'admin.enable',
        adminId,
        change: (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          return updateAdminUser(tx, row.admin_id, { status: 'active', updated_at: now() })
        },
      }),

    resetPassword: async (actor, input) => {
      assertPasswordPolicy(input.newPassword)
      const passwordHash = await hashPassword(input.newPassword)
      return changeAdmin(actor, {
        action: 'admin.password_reset',
        adminId: input.adminId,
        change: async (tx, row) => {
          assertMayManageRole(actor.audit, [row.role as AdminRole])
          await deleteAdminSessionsOf(tx, { adminId: row.admin_id })
          const at = now()
          return updateAdminUser(tx, row.admin_id, {
            password_hash: passwordHash,
            password_changed_at: at,
            updated_at: at,
          })
        },
      })
    },
  }
}

function present(admin: AdminUser, overrides: PermissionOverride[]): AdminUserWithPermissions {
  return {
    ...admin,
    overrides,
    permissions: sortedPermissions(effectivePermissions({ role: admin.role, overrides })),
  }
}
