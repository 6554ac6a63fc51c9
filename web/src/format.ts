/** Money arrives as decimal strings of micros: format without ever going through a float. */
export function formatMicros(micros: string | null | undefined, currency = 'USD'): string {
  if (micros === null || micros === undefined || micros === '') return '—'
  const negative = micros.startsWith('-')
  const digits = (negative ? micros.slice(1) : micros).padStart(7, '0')
  const whole = digits.slice(0, -6).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const fraction = digits.slice(-6).replace(/0{1,4}$/, '')
  return `${negative ? '−' : ''}${whole}.${fraction.padEnd(2, '0')} ${currency}`
}

/** "12.50" (major units) → "12500000" micros; null when it is not a positive amount. */
export function toMicros(amount: string): string | null {
  const match = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/.exec(amount)
  if (!match) return null
  const micros = (
    BigInt(match[1]!) * 1_000_000n +
    BigInt((match[2] ?? '').padEnd(6, '0'))
  ).toString()
  return micros === '0' ? null : micros
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toISOString().replace('T', ' ').slice(0, 19) + 'Z'
}

export function formatCount(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** The first day of the current month, UTC, as an ISO timestamp. */
export function monthStartIso(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString()
}

export function currentMonth(now = new Date()): string {
  return now.toISOString().slice(0, 7)
}

/** A fresh idempotency key for one money operation (retries of the same form reuse it). */
export function newIdempotencyKey(prefix: string): string {
  return `console:${prefix}:${crypto.randomUUID()}`
}
