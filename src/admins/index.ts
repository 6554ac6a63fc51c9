import type { AuditLog } from '../audit/run-audited.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import { deriveAdminKeys, DEFAULT_ADMIN_AUTH_POLICY, type AdminAuthPolicy } from './admin-deps.js'
import { createAdminAuthService, type AdminAuthService } from './admin-auth.service.js'
import { createAdminMfaService, type AdminMfaService } from './admin-mfa.service.js'
import { createAdminTokensService, type AdminTokensService } from './admin-tokens.service.js'
import { createAdminUsersService, type AdminUsersService } from './admin-users.service.js'
import {
  createSupportSessionsService,
  type SupportSessionsService,
} from './support-sessions.service.js'

export type { AdminAuthPolicy, AdminKeys, AdminServiceDeps } from './admin-deps.js'
export { DEFAULT_ADMIN_AUTH_POLICY, deriveAdminKeys } from './admin-deps.js'
export type { AdminAuthService, AdminPrincipal, LoginResult } from './admin-auth.service.js'
export type { AdminMfaService, TotpEnrolment } from './admin-mfa.service.js'
export type {
  AdminTokenInfo,
  AdminTokensService,
  CreatedAdminToken,
} from './admin-tokens.service.js'
export type { AdminUsersService } from './admin-users.service.js'
export type { SupportSession, SupportSessionsService } from './support-sessions.service.js'
export {
  SUPPORT_SESSION_EXPIRY_ACTOR,
  startSupportSessionReaper,
} from './support-sessions.service.js'
export type { AdminUser, AdminUserWithPermissions } from './admin-user.js'
export {
  ADMIN_ROLES,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  isAdminRole,
  isPermission,
} from './permissions.js'
export type { AdminRole, Permission, PermissionOverride } from './permissions.js'
export { ADMIN_TOKEN_PREFIX, matchesCsrfToken } from './admin-secrets.js'
export { MIN_PASSWORD_LENGTH } from './password.js'
export * from './admin-errors.js'

/** Every admin-identity service, built once in main.ts (or a test) and handed to the HTTP layer. */
export interface AdminServices {
  auth: AdminAuthService
  users: AdminUsersService
  mfa: AdminMfaService
  tokens: AdminTokensService
  supportSessions: SupportSessionsService
  /** The session-hash key, for the HTTP layer's CSRF check. */
  csrfKey: Buffer
  policy: AdminAuthPolicy
  clock: Clock
  auditLog: AuditLog
}

/** Build the admin services from the database, the clock, the audit log and the master key. */
export function createAdminServices(deps: {
  db: Db
  clock: Clock
  auditLog: AuditLog
  masterKey: Buffer
  policy?: Partial<AdminAuthPolicy>
}): AdminServices {
  const keys = deriveAdminKeys(deps.masterKey)
  const policy = { ...DEFAULT_ADMIN_AUTH_POLICY, ...deps.policy }
  const shared = { db: deps.db, clock: deps.clock, auditLog: deps.auditLog, keys, policy }
  return {
    auth: createAdminAuthService(shared),
    users: createAdminUsersService(shared),
    mfa: createAdminMfaService(shared),
    tokens: createAdminTokensService(shared),
    supportSessions: createSupportSessionsService(shared),
    csrfKey: keys.sessionHash,
    policy,
    clock: deps.clock,
    auditLog: deps.auditLog,
  }
}
