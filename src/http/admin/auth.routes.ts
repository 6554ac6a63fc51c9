import { sortedPermissions } from '../../admins/permissions.js'
import { adminRoute, publicAdminRoute, type AdminRoute } from './admin-route.js'
import {
  ChangePasswordBody,
  LoginBody,
  LoginResponse,
  LogoutResponse,
  MeResponse,
  MfaDisabledResponse,
  MfaEnabledResponse,
  PasswordChangedResponse,
  TotpCodeBody,
  TotpEnrolmentResponse,
} from './auth.schemas.js'

/** `POST /auth/login`: password (+ TOTP) → session cookie and the session's CSRF token. */
export const loginRoute = publicAdminRoute({
  method: 'POST',
  url: '/auth/login',
  summary: 'Log in with email and password (and a TOTP code when enrolled)',
  action: 'admin.login',
  body: LoginBody,
  response: LoginResponse,
  handler: async ({ body, services, audit, session }) => {
    const login = await services.auth.login(audit, body)
    session.set({ token: login.sessionToken, maxAgeMs: services.policy.sessionAbsoluteTimeoutMs })
    return {
      admin: login.admin,
      csrfToken: login.csrfToken,
      expiresAt: login.expiresAt,
      mfaEnrollmentRequired: login.mfaEnrollmentRequired,
    }
  },
})

export const logoutRoute = adminRoute({
  method: 'POST',
  url: '/auth/logout',
  summary: 'End the current session',
  permission: 'authenticated',
  action: 'admin.logout',
  allowWhileMfaEnrollmentRequired: true,
  response: LogoutResponse,
  handler: async ({ services, audit, principal, session }) => {
    await services.auth.logout(audit, principal)
    session.clear()
    return { loggedOut: true }
  },
})

export const meRoute = adminRoute({
  method: 'GET',
  url: '/auth/me',
  summary: 'The calling admin, role, effective permissions and CSRF token',
  permission: 'authenticated',
  readOnly: true,
  allowWhileMfaEnrollmentRequired: true,
  response: MeResponse,
  handler: ({ principal, permissions, csrfToken, supportSession }) =>
    Promise.resolve({
      admin: principal.admin,
      role: principal.admin.role,
      permissions: sortedPermissions(permissions),
      authenticatedWith: principal.via,
      csrfToken,
      mfaEnrollmentRequired: principal.restricted,
      supportSession,
    }),
})

export const changePasswordRoute = adminRoute({
  method: 'POST',
  url: '/auth/password',
  summary: 'Change your own password (ends your other sessions)',
  permission: 'authenticated',
  action: 'admin.password_change',
  body: ChangePasswordBody,
  response: PasswordChangedResponse,
  handler: async ({ body, services, audit, principal }) => {
    await services.auth.changeOwnPassword(audit, { principal, ...body })
    return { passwordChanged: true }
  },
})

export const totpEnrollRoute = adminRoute({
  method: 'POST',
  url: '/auth/totp/enroll',
  summary: 'Start TOTP enrolment: returns the secret and otpauth URI once',
  permission: 'authenticated',
  action: 'admin.mfa_enroll_start',
  allowWhileMfaEnrollmentRequired: true,
  response: TotpEnrolmentResponse,
  handler: ({ services, audit, principal }) =>
    services.mfa.startEnrolment(audit, principal.admin.adminId),
})

export const totpConfirmRoute = adminRoute({
  method: 'POST',
  url: '/auth/totp/confirm',
  summary: 'Confirm TOTP enrolment with a code from the authenticator',
  permission: 'authenticated',
  action: 'admin.mfa_enroll',
  allowWhileMfaEnrollmentRequired: true,
  body: TotpCodeBody,
  response: MfaEnabledResponse,
  handler: async ({ body, services, audit, principal }) => {
    await services.mfa.confirmEnrolment(audit, {
      adminId: principal.admin.adminId,
      code: body.code,
    })
    return { mfaEnabled: true }
  },
})

export const totpDisableRoute = adminRoute({
  method: 'POST',
  url: '/auth/totp/disable',
  summary: 'Turn off your own TOTP (needs a current code and a reason)',
  permission: 'authenticated',
  action: 'admin.mfa_disable',
  body: TotpCodeBody,
  response: MfaDisabledResponse,
  handler: async ({ body, services, audit, principal }) => {
    await services.mfa.disableOwn(audit, { adminId: principal.admin.adminId, code: body.code })
    return { mfaEnabled: false }
  },
})

export const AUTH_ROUTES: readonly AdminRoute[] = [
  loginRoute,
  logoutRoute,
  meRoute,
  changePasswordRoute,
  totpEnrollRoute,
  totpConfirmRoute,
  totpDisableRoute,
]
