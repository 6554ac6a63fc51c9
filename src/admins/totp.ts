import { Secret, TOTP } from 'otpauth'

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30
const DIGITS = 6
/** Accept the previous and next step too: phones drift. */
const WINDOW = 1

/** A fresh 160-bit TOTP secret, base32 (what authenticator apps take). */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The `otpauth://` URI an authenticator app scans (as a QR code) during enrolment. */
export function totpUri(options: { secret: string; accountName: string; issuer?: string }): string {
  return new TOTP({
    issuer: options.issuer ?? 'Ferry',
    label: options.accountName,
    secret: Secret.fromBase32(options.secret),
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }).toString()
}

/**
 * Check a code at `nowMs`. Returns the time step it belongs to, or null when it is wrong. The
 * caller stores the step and refuses a step at or before the last one used, so a code seen by
 * someone over the admin's shoulder cannot be replayed.
 */
export function verifyTotpCode(options: {
  secret: string
  code: string
  nowMs: number
}): number | null {
  if (!/^\d{6}$/.test(options.code)) return null
  const delta = TOTP.validate({
    token: options.code,
    secret: Secret.fromBase32(options.secret),
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp: options.nowMs,
    window: WINDOW,
  })
  if (delta === null) return null
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp: options.nowMs }) + delta
}

/** The code an authenticator would show at `nowMs` (tests and the CLI's self-check). */
export function currentTotpCode(options: { secret: string; nowMs: number }): string {
  return TOTP.generate({
    secret: Secret.fromBase32(options.secret),
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp: options.nowMs,
  })
}
