import { z } from 'zod'
import { ADMIN_ROLES, PERMISSIONS } from '../../admins/index.js'
import { MAX_PASSWORD_LENGTH } from '../../admins/password.js'
import { AdminResponse } from './auth.schemas.js'

export const AdminIdParams = z.strictObject({
  adminId: z.string().regex(/^adm_[0-9a-z]{26}$/, 'must be an admin id (adm_…)'),
})

export const CreateAdminBody = z.strictObject({
  email: z.email().max(320),
  displayName: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ADMIN_ROLES),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
})

export const UpdateAdminBody = z.strictObject({ displayName: z.string().trim().min(1).max(200) })

export const ChangeRoleBody = z.strictObject({ role: z.enum(ADMIN_ROLES) })

export const PermissionBody = z.strictObject({ permission: z.enum(PERMISSIONS) })

export const ResetPasswordBody = z.strictObject({
  newPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
})

export const MfaRequirementBody = z.strictObject({ required: z.boolean() })

/** An admin with the exceptions to its role and what they add up to (AdminUserWithPermissions). */
export const AdminWithPermissionsResponse = AdminResponse.extend({
  /** Permissions granted on top of the role, or revoked from it. */
  overrides: z.array(
    z.object({ permission: z.enum(PERMISSIONS), effect: z.enum(['grant', 'revoke']) }),
  ),
  /** Effective permissions: role ∪ grants − revocations, in registry order. */
  permissions: z.array(z.enum(PERMISSIONS)),
})

export const AdminListResponse = z.object({
  object: z.literal('list'),
  data: z.array(AdminWithPermissionsResponse),
})

export const PasswordResetResponse = z.object({ passwordReset: z.literal(true) })

/** The platform security settings: whether every admin must use TOTP. */
export const SecuritySettingsResponse = z.object({ mfaRequired: z.boolean() })
