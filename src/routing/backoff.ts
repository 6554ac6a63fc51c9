import type { Random } from '../lib/random.js'
import type { RetryPolicy } from './route-policy.js'

/**
 * The wait before retry number `retry` (1 for the first retry): exponential from
 * `initialBackoffMs` by `multiplier`, capped at `maxBackoffMs`; with `full` jitter a uniform
 * draw in [0, that] so that many clients retrying at once spread out. A `retryAfterMs` from the
 * upstream raises the wait (never above the cap).
 * @example backoffMs({ ...policy, jitter: 'none' }, { retry: 2, random }) // 200 with 100 × 2
 */
export function backoffMs(
  policy: Pick<RetryPolicy, 'initialBackoffMs' | 'maxBackoffMs' | 'multiplier' | 'jitter'>,
  input: { retry: number; random: Random; retryAfterMs?: number | null },
): number {
  const exponential = policy.initialBackoffMs * policy.multiplier ** Math.max(0, input.retry - 1)
  const capped = Math.min(policy.maxBackoffMs, exponential)
  const jittered = policy.jitter === 'full' ? input.random.next() * capped : capped
  const floor = Math.min(policy.maxBackoffMs, input.retryAfterMs ?? 0)
  return Math.round(Math.max(jittered, floor))
}
