import { z } from 'zod'
import { ADMIN_STATUSES } from '../../admins/admin-user.js'
import { MAX_PASSWORD_LENGTH } from '../../admins/password.js'
import { ADMIN_ROLES, PERMISSIONS } from '../../admins/permissions.js'
import { SupportSessionResponse } from './support-sessions.schemas.js'
import { Timestamp } from './wire.schemas.js'

/** Login: the email is not format-checked here, so a typo fails like any wrong credential. */
export const LoginBody = z.strictObject({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  totpCode: z.string().max(16).optional(),
})

export const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  newPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
})

export const TotpCodeBody = z.strictObject({
  code: z.string().regex(/^\d{6}$/, 'must be the 6-digit code from your authenticator app'),
})

/** An admin as the API shows it (src/admins/admin-user.ts): never a hash or TOTP secret. */
export const AdminResponse = z.object({
  adminId: z.string(),
  email: z.string(),
  displayName: z.string(),
  status: z.enum(ADMIN_STATUSES),
  role: z.enum(ADMIN_ROLES),
  mfaEnabled: z.boolean(),
  lastLoginAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const LoginResponse = z.object({
  admin: AdminResponse,
  /** Send as `x-csrf-token` on every state-changing call of this session. */
  csrfToken: z.string(),
  expiresAt: Timestamp,
  mfaEnrollmentRequired: z.boolean(),
})

export const LogoutResponse = z.object({ loggedOut: z.literal(true) })

export const MeResponse = z.object({
  admin: AdminResponse,
  role: z.enum(ADMIN_ROLES),
  /** Effective permissions of this request (a narrowed token holds fewer than its admin). */
  permissions: z.array(z.enum(PERMISSIONS)),
  authenticatedWith: z.enum(['session', 'token']),
  csrfToken: z.string().nullable(),
  mfaEnrollmentRequired: z.boolean(),
  supportSession: SupportSessionResponse.nullable(),
})

export const PasswordChangedResponse = z.object({ passwordChanged: z.literal(true) })

/**
 * A TOTP enrolment as started: the secret (for manual entry) and the otpauth URI (for a QR
 * code). The one answer that shows the secret; confirm it with a code to turn TOTP on.
 */
export const TotpEnrolmentResponse = z.object({ secret: z.string(), otpauthUri: z.string() })

/** After confirming an enrolment: TOTP is on. */
export const MfaEnabledResponse = z.object({ mfaEnabled: z.literal(true) })

/** After turning TOTP off (your own, or another admin's lost device). */
export const MfaDisabledResponse = z.object({ mfaEnabled: z.literal(false) })
