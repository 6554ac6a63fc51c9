import type { Random } from '../lib/random.js'

export interface RetrySchedule {
  /** The delay before the second attempt, doubled for each one after. @default 2000 */
  baseDelayMs: number
  /** No delay is longer than this. @default 3600000 (1 h) */
  maxDelayMs: number
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  baseDelayMs: 2_000,
  maxDelayMs: 60 * 60_000,
})

/**
 * How long to wait after failed attempt `attempt` (1-based) before the next one: exponential
 * (base × 2^(attempt−1)), capped, with "equal jitter" (between half and all of it) so that many
 * rows failing together do not come back together.
 * @example retryDelayMs({ attempt: 3, schedule: DEFAULT_RETRY_SCHEDULE, random }) // 4000…8000
 */
export function retryDelayMs(options: {
  attempt: number
  schedule: RetrySchedule
  random: Random
}): number {
  const { baseDelayMs, maxDelayMs } = options.schedule
  const exponent = Math.min(Math.max(options.attempt - 1, 0), 40)
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** exponent)
  return Math.round(ceiling / 2 + (options.random.next() * ceiling) / 2)
}
