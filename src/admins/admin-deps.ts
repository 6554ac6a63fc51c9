import type { AuditLog } from '../audit/run-audited.js'
import type { Clock } from '../lib/clock.js'
import { deriveKey } from '../secrets/derive-key.js'
import type { Db } from '../storage/index.js'

/** The keys admin identity derives from the master key, one per purpose. */
export interface AdminKeys {
  /** HMAC key for session tokens at rest and for CSRF tokens. */
  sessionHash: Buffer
  /** HMAC key for admin API tokens at rest. */
  tokenHash: Buffer
  /** AES-256-GCM key for TOTP secrets at rest. */
  totpSecret: Buffer
}

export function deriveAdminKeys(masterKey: Buffer): AdminKeys {
  return {
    sessionHash: deriveKey(masterKey, 'session-hash'),
    tokenHash: deriveKey(masterKey, 'admin-token-hash'),
    totpSecret: deriveKey(masterKey, 'totp-secret'),
  }
}

/** Session and support-session lifetimes (config `admin.*`). */
export interface AdminAuthPolicy {
  /** @default 30 min — a session unused this long ends. */
  sessionIdleTimeoutMs: number
  /** @default 12 h — a session ends this long after login, used or not. */
  sessionAbsoluteTimeoutMs: number
  /** @default 4 h — the longest a support session may be opened for. */
  supportSessionMaxMs: number
}

export const DEFAULT_ADMIN_AUTH_POLICY: AdminAuthPolicy = {
  sessionIdleTimeoutMs: 30 * 60_000,
  sessionAbsoluteTimeoutMs: 12 * 60 * 60_000,
  supportSessionMaxMs: 4 * 60 * 60_000,
}

/** What every admin service is built from: one object (STYLE §3.2). */
export interface AdminServiceDeps {
  db: Db
  clock: Clock
  auditLog: AuditLog
  keys: AdminKeys
  policy: AdminAuthPolicy
}
