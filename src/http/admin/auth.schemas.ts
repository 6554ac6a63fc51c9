import { z } from 'zod'
import { MAX_PASSWORD_LENGTH } from '../../admins/password.js'

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
