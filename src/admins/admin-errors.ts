import { FerryError, InvalidRequestError } from '../lib/errors.js'

/** 401: no admin credentials were sent (no bearer token, no session cookie). */
export class AuthenticationRequiredError extends FerryError {
  constructor() {
    super(
      'This endpoint needs an admin session or an admin API token (Authorization: Bearer fadm_…).',
      { status: 401, type: 'invalid_request_error', code: 'authentication_required' },
    )
  }
}

/** 401: the admin token or session is unknown, expired, revoked, or its admin is disabled. */
export class InvalidAuthenticationError extends FerryError {
  constructor(message = 'The admin token or session is invalid, expired or revoked.') {
    super(message, { status: 401, type: 'invalid_request_error', code: 'invalid_authentication' })
  }
}

/** 401: the session ran past its idle or absolute lifetime. */
export class SessionExpiredError extends FerryError {
  constructor() {
    super('The admin session has expired. Log in again.', {
      status: 401,
      type: 'invalid_request_error',
      code: 'session_expired',
    })
  }
}

/**
 * 401: email or password wrong. One message for an unknown email, a wrong password and a
 * disabled account, so a failed login never tells whether the email exists.
 */
export class InvalidCredentialsError extends FerryError {
  constructor() {
    super('Invalid email or password.', {
      status: 401,
      type: 'invalid_request_error',
      code: 'invalid_credentials',
    })
  }
}

/** 401: the password was right but this admin also needs a TOTP code. */
export class TotpRequiredError extends FerryError {
  constructor() {
    super('A TOTP code from your authenticator app is required: send "totpCode".', {
      status: 401,
      type: 'invalid_request_error',
      code: 'totp_required',
      param: 'totpCode',
    })
  }
}

/** 401 (login) or 400 (enrolment, disable): the TOTP code is wrong, expired or already used. */
export class InvalidTotpCodeError extends FerryError {
  constructor(status: 400 | 401 = 401) {
    super('The TOTP code is invalid, expired or was already used.', {
      status,
      type: 'invalid_request_error',
      code: 'invalid_totp_code',
      param: 'totpCode',
    })
  }
}

/** 429: too many failed logins for this account or from this address. */
export class LoginLockedError extends FerryError {
  constructor(retryAfterSeconds: number) {
    super(`Too many failed login attempts. Try again in ${retryAfterSeconds} seconds.`, {
      status: 429,
      type: 'rate_limit_error',
      code: 'too_many_login_attempts',
      headers: { 'retry-after': String(retryAfterSeconds) },
    })
  }
}

/** 403: the admin (or token) lacks the permission the endpoint requires. */
export class PermissionDeniedError extends FerryError {
  constructor(message: string) {
    super(message, { status: 403, type: 'invalid_request_error', code: 'permission_denied' })
  }
}

/** 403: a cookie-authenticated state change without the session's CSRF token. */
export class CsrfTokenError extends FerryError {
  constructor() {
    super(
      "State-changing requests with a session cookie need the session's CSRF token in the 'x-csrf-token' header (from login or GET /admin/v1/auth/me).",
      { status: 403, type: 'invalid_request_error', code: 'csrf_token_invalid' },
    )
  }
}

/** 403: MFA is mandatory and this admin has not enrolled yet; only enrolment is allowed. */
export class MfaEnrollmentRequiredError extends FerryError {
  constructor() {
    super(
      'Two-factor authentication is required for all admins. Enrol with POST /admin/v1/auth/totp/enroll, then confirm.',
      { status: 403, type: 'invalid_request_error', code: 'mfa_enrollment_required' },
    )
  }
}

/** 409: a state conflict on admin resources, each with its own code. */
export class AdminConflictError extends FerryError {
  constructor(
    message: string,
    code:
      | 'admin_email_taken'
      | 'last_owner'
      | 'totp_already_enabled'
      | 'totp_not_enrolled'
      | 'support_session_active'
      | 'support_session_ended'
      | 'admin_token_revoked'
      | 'admin_disabled',
  ) {
    super(message, { status: 409, type: 'invalid_request_error', code })
  }
}

/** 400: a new password does not meet the policy. */
export class WeakPasswordError extends InvalidRequestError {
  constructor(minLength: number) {
    super(`The password must be between ${minLength} and 256 characters long.`, {
      param: 'password',
      code: 'weak_password',
    })
  }
}

/** 400: the current password given for a self-service change is wrong. */
export class IncorrectPasswordError extends InvalidRequestError {
  constructor() {
    super('The current password is incorrect.', {
      param: 'currentPassword',
      code: 'incorrect_password',
    })
  }
}
