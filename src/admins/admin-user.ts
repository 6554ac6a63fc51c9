import type { AdminRole, Permission, PermissionOverride } from './permissions.js'

export const ADMIN_STATUSES = ['active', 'disabled'] as const
export type AdminStatus = (typeof ADMIN_STATUSES)[number]

/** An admin as the API shows it: never a password hash or TOTP secret. */
export interface AdminUser {
  adminId: string
  email: string
  displayName: string
  status: AdminStatus
  role: AdminRole
  mfaEnabled: boolean
  lastLoginAt: string | null
  createdAt: string
  updatedAt: string
}

/** An admin with the exceptions to its role and what they add up to. */
export interface AdminUserWithPermissions extends AdminUser {
  overrides: PermissionOverride[]
  permissions: Permission[]
}

/** Lower-cased, trimmed: the form emails are compared and stored uniquely in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The allow-listed view of an admin for audit diffs (redact-diff keeps only listed fields). */
export function adminAuditView(
  admin: AdminUser,
  overrides?: readonly PermissionOverride[],
): Record<string, unknown> {
  return {
    email: admin.email,
    displayName: admin.displayName,
    status: admin.status,
    role: admin.role,
    mfaEnabled: admin.mfaEnabled,
    ...(overrides
      ? {
          grants: overrides
            .filter((o) => o.effect === 'grant')
            .map((o) => o.permission)
            .sort(),
          revokedPermissions: overrides
            .filter((o) => o.effect === 'revoke')
            .map((o) => o.permission)
            .sort(),
        }
      : {}),
  }
}
