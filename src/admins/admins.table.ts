/** `admin_users`: people who operate Ferry. Booleans are BIGINT 0/1, timestamps ISO text. */
export interface AdminUsersTable {
  admin_id: string
  email: string
  /** Lower-cased email: the unique key, so logins and uniqueness ignore case. */
  email_normalized: string
  display_name: string
  status: string
  role: string
  /** `scrypt$N$r$p$salt$key`: never returned, logged or audited. */
  password_hash: string
  password_changed_at: string
  /** AES-256-GCM under deriveKey(master, 'totp-secret'), bound to the admin id; null: no MFA. */
  totp_secret_sealed: string | null
  /** A secret shown during enrolment and not yet confirmed by a code. */
  totp_pending_sealed: string | null
  totp_enabled_at: string | null
  /** The last TOTP time step accepted: a code is never accepted twice. */
  totp_last_step: bigint | null
  last_login_at: string | null
  created_at: string
  updated_at: string
}

/** `admin_permission_overrides`: explicit grants and revocations on top of the role. */
export interface AdminPermissionOverridesTable {
  admin_id: string
  permission: string
  /** 'grant' | 'revoke' */
  effect: string
  created_at: string
}

/** `admin_sessions`: server-side login sessions; the cookie holds the token, we hold its HMAC. */
export interface AdminSessionsTable {
  session_id: string
  admin_id: string
  token_hash: string
  created_at: string
  last_seen_at: string
  /** Absolute expiry; the idle expiry is last_seen_at + the configured idle timeout. */
  expires_at: string
  /** 1 while MFA is mandatory and the admin has not enrolled: only enrolment routes are open. */
  restricted: bigint
  ip: string | null
  user_agent: string | null
}

/** `admin_tokens`: API tokens for automation, stored as HMAC under the admin-token-hash key. */
export interface AdminTokensTable {
  token_id: string
  admin_id: string
  name: string
  label: string
  token_hash: string
  /** JSON array of permissions the token is narrowed to, or null: everything its admin holds. */
  permissions_json: string | null
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  last_used_at: string | null
}

/** `support_sessions`: time-boxed work inside one organization, with the reason it was opened. */
export interface SupportSessionsTable {
  support_session_id: string
  admin_id: string
  /** TODO(organizations): a foreign key to organizations once that table exists. */
  organization_id: string
  reason_code: string
  reason_note: string | null
  started_at: string
  expires_at: string
  ended_at: string | null
  /** 'ended' (by an admin) | 'expired' (by the system) */
  end_reason: string | null
}

/** `admin_login_failures`: backoff state per throttle key (`account:<email>`, `address:<ip>`). */
export interface AdminLoginFailuresTable {
  throttle_key: string
  failures: bigint
  last_failure_at: string
  locked_until: string | null
}

export interface AdminTables {
  admin_users: AdminUsersTable
  admin_permission_overrides: AdminPermissionOverridesTable
  admin_sessions: AdminSessionsTable
  admin_tokens: AdminTokensTable
  support_sessions: SupportSessionsTable
  admin_login_failures: AdminLoginFailuresTable
}
