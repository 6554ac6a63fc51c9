import { adminRoute, type AdminRoute } from './admin-route.js'
import {
  AdminIdParams,
  AdminListResponse,
  AdminWithPermissionsResponse,
  ChangeRoleBody,
  CreateAdminBody,
  MfaRequirementBody,
  PasswordResetResponse,
  PermissionBody,
  ResetPasswordBody,
  SecuritySettingsResponse,
  UpdateAdminBody,
} from './admins.schemas.js'
import { MfaDisabledResponse } from './auth.schemas.js'

export const listAdminsRoute = adminRoute({
  method: 'GET',
  url: '/admins',
  summary: 'List admins with roles and effective permissions',
  permission: 'admins.read',
  readOnly: true,
  response: AdminListResponse,
  handler: async ({ services }) => ({ object: 'list', data: await services.users.listAdmins() }),
})

export const getAdminRoute = adminRoute({
  method: 'GET',
  url: '/admins/:adminId',
  summary: 'One admin',
  permission: 'admins.read',
  readOnly: true,
  params: AdminIdParams,
  response: AdminWithPermissionsResponse,
  handler: ({ params, services }) => services.users.getAdmin(params.adminId),
})

export const createAdminRoute = adminRoute({
  method: 'POST',
  url: '/admins',
  summary: 'Create an admin (high-risk: reason required)',
  permission: 'admins.write',
  action: 'admin.create',
  body: CreateAdminBody,
  successStatus: 201,
  response: AdminWithPermissionsResponse,
  handler: ({ body, services, audit, permissions }) =>
    services.users.createAdmin({ audit, permissions }, body),
})

export const updateAdminRoute = adminRoute({
  method: 'PATCH',
  url: '/admins/:adminId',
  summary: "Change an admin's display name",
  permission: 'admins.write',
  action: 'admin.update',
  params: AdminIdParams,
  body: UpdateAdminBody,
  response: AdminWithPermissionsResponse,
  handler: ({ params, body, services, audit, permissions }) =>
    services.users.updateAdmin(
      { audit, permissions },
      { adminId: params.adminId, displayName: body.displayName },
    ),
})

export const changeRoleRoute = adminRoute({
  method: 'PUT',
  url: '/admins/:adminId/role',
  summary: "Change an admin's role (high-risk)",
  permission: 'admins.write',
  action: 'admin.role_update',
  params: AdminIdParams,
  body: ChangeRoleBody,
  response: AdminWithPermissionsResponse,
  handler: ({ params, body, services, audit, permissions }) =>
    services.users.changeRole({ audit, permissions }, { adminId: params.adminId, role: body.role }),
})

export const grantPermissionRoute = adminRoute({
  method: 'POST',
  url: '/admins/:adminId/grants',
  summary: 'Grant a permission on top of the role (high-risk)',
  permission: 'admins.write',
  action: 'admin.permission_grant',
  params: AdminIdParams,
  body: PermissionBody,
  response: AdminWithPermissionsResponse,
  handler: ({ params, body, services, audit, permissions }) =>
    services.users.grantPermission(
      { audit, permissions },
      { adminId: params.adminId, permission: body.permission },
    ),
})

export const revokePermissionRoute = adminRoute({
  method: 'POST',
  url: '/admins/:adminId/revocations',
  summary: 'Revoke a permission (from the role or an earlier grant; high-risk)',
  permission: 'admins.write',
  action: 'admin.permission_revoke',
  params: AdminIdParams,
  body: PermissionBody,
  response: AdminWithPermissionsResponse,
  handler: ({ params, body, services, audit, permissions }) =>
    services.users.revokePermission(
      { audit, permissions },
      { adminId: params.adminId, permission: body.permission },
    ),
})

export const disableAdminRoute = adminRoute({
  method: 'POST',
  url: '/admins/:adminId/disable',
  summary: 'Disable an admin: sessions end, tokens stop working (high-risk)',
  permission: 'admins.write',
  action: 'admin.disable',
  params: AdminIdParams,
  response: AdminWithPermissionsResponse,
  handler: ({ params, services, audit, permissions }) =>
    services.users.disableAdmin({ audit, permissions }, params.adminId),
})

export const enableAdminRoute = adminRoute({
  method: 'POST',
  url: '/admins/:adminId/enable',
  summary: 'Enable a disabled admin (high-risk)',
  permission: 'admins.write',
  action: 'admin.enable',
  params: AdminIdParams,
  response: AdminWithPermissionsResponse,
  handler: ({ params, services, audit, permissions }) =>
    services.users.enableAdmin({ audit, permissions }, params.adminId),
})

export const resetPasswordRoute = adminRoute({
  method: 'POST',
  url: '/admins/:adminId/password-reset',
  summary: 'Set a new password for an admin; their sessions end (high-risk)',
  permission: 'admins.write',
  action: 'admin.password_reset',
  params: AdminIdParams,
  body: ResetPasswordBody,
  response: PasswordResetResponse,
  handler: async ({ params, body, services, audit, permissions }) => {
    await services.users.resetPassword(
      { audit, permissions },
      { adminId: params.adminId, newPassword: body.newPassword },
    )
    return { passwordReset: true }
  },
})

export const resetTotpRoute = adminRoute({
  method: 'DELETE',
  url: '/admins/:adminId/totp',
  summary: "Remove an admin's TOTP device (lost phone; high-risk)",
  permission: 'admins.write',
  action: 'admin.mfa_disable',
  params: AdminIdParams,
  response: MfaDisabledResponse,
  handler: async ({ params, services, audit }) => {
    await services.mfa.resetFor(audit, params.adminId)
    return { mfaEnabled: false }
  },
})

export const getSecuritySettingsRoute = adminRoute({
  method: 'GET',
  url: '/settings/security',
  summary: 'Platform security settings (MFA requirement)',
  permission: 'admins.read',
  readOnly: true,
  response: SecuritySettingsResponse,
  handler: async ({ services }) => ({ mfaRequired: await services.mfa.isRequired() }),
})

export const setMfaRequirementRoute = adminRoute({
  method: 'PUT',
  url: '/settings/security/mfa-required',
  summary: 'Make TOTP mandatory for every admin, or optional again (owner; high-risk)',
  permission: 'settings.write',
  action: 'admin.mfa_requirement_update',
  body: MfaRequirementBody,
  response: SecuritySettingsResponse,
  handler: ({ body, services, audit }) => services.mfa.setRequired(audit, body.required),
})

export const ADMIN_USER_ROUTES: readonly AdminRoute[] = [
  listAdminsRoute,
  getAdminRoute,
  createAdminRoute,
  updateAdminRoute,
  changeRoleRoute,
  grantPermissionRoute,
  revokePermissionRoute,
  disableAdminRoute,
  enableAdminRoute,
  resetPasswordRoute,
  resetTotpRoute,
  getSecuritySettingsRoute,
  setMfaRequirementRoute,
]
