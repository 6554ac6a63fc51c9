/**
 * A duration in Go's `time.Duration` notation, as OpenAI's `x-ratelimit-reset-*` headers use
 * it, at millisecond precision (rounded up, so a client that waits this long is never early).
 * @example formatGoDuration(12) // '12ms'
 * @example formatGoDuration(1500) // '1.5s'
 * @example formatGoDuration(360_000) // '6m0s'
 */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms))
  if (total === 0) return '0s'
  if (total < 1000) return `${total}ms`
  const hours = Math.floor(total / 3_600_000)
  const minutes = Math.floor((total % 3_600_000) / 60_000)
  const seconds = (total % 60_000) / 1000
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${minutes}m${seconds}s`
  return `${seconds}s`
}
