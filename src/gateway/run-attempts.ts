import type { Clock } from '../lib/clock.js'
import type { Random } from '../lib/random.js'
import {
  backoffMs,
  countsAgainstHealth,
  failureConditionOf,
  retryAfterOf,
  type AttemptRecord,
  type PlannedTarget,
  type ProviderHealth,
} from '../routing/index.js'
import { isUpstreamError } from '../providers/index.js'

/** The most attempts one request makes, whatever the policy says (retries × targets). */
export const MAX_ATTEMPTS_PER_REQUEST = 12

export type AttemptsResult<T> =
  | { ok: true; value: T; target: PlannedTarget; attempts: AttemptRecord[] }
  | {
      ok: false
      /** The last failure (the one the client is answered with); null when every target was skipped. */
      error: unknown
      attempts: AttemptRecord[]
    }

/**
 * Try the plan's targets in order: retry a target on its route's retry conditions (backoff with
 * jitter), move to the next target on its fallback conditions, stop on anything else (a 4xx the
 * client caused, a client abort). `attempt` must resolve only once the first byte for the client
 * is in hand, so that nothing has reached the client while a fallback is still possible.
 * Provider health hears every verdict; a target whose circuit refuses it is skipped.
 */
export async function runAttempts<T>(options: {
  targets: readonly PlannedTarget[]
  skipUnhealthy: boolean
  health: ProviderHealth
  clock: Clock
  random: Random
  signal: AbortSignal
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  attempt: (target: PlannedTarget) => Promise<T>
}): Promise<AttemptsResult<T>> {
  const { health, clock, signal } = options
  const attempts: AttemptRecord[] = []
  let lastError: unknown = null
  for (let t = 0; t < options.targets.length; t++) {
    const target = options.targets[t]!
    const isLast = t === options.targets.length - 1
    for (let tryNo = 1; ; tryNo++) {
      const base = {
        provider: target.provider,
        providerAccountId: target.providerAccountId,
        model: target.model,
        route: target.route,
        attempt: tryNo,
      }
      // Closed circuits pass; an open one passes only when the policy does not skip
      // unhealthy providers (the implicit policy: behaviour as before routing existed).
      const admitted = health.tryAcquire({
        providerAccountId: target.providerAccountId,
        provider: target.provider,
      })
      if (!admitted && options.skipUnhealthy) {
        attempts.push({
          ...base,
          outcome: 'skipped',
          condition: null,
          errorCode: 'circuit_open',
          upstreamStatus: null,
          latencyMs: 0,
          next: isLast ? 'stop' : 'fallback',
        })
        break
      }
      const startedMs = clock.nowMs()
      try {
        const value = await options.attempt(target)
        health.recordSuccess(target.providerAccountId)
        attempts.push({
          ...base,
          outcome: 'success',
          condition: null,
          errorCode: null,
          upstreamStatus: null,
          latencyMs: Math.max(0, clock.nowMs() - startedMs),
          next: null,
        })
        return { ok: true, value, target, attempts }
      } catch (err) {
        lastError = err
        const condition = signal.aborted ? null : failureConditionOf(err)
        if (countsAgainstHealth(condition)) health.recordFailure(target.providerAccountId)
        else health.release(target.providerAccountId)
        const canRetry =
          condition !== null &&
          target.retry.on.includes(condition) &&
          tryNo <= target.retry.maxRetries &&
          attempts.length + 1 < MAX_ATTEMPTS_PER_REQUEST
        const canFallback =
          !canRetry &&
          condition !== null &&
          target.fallbackOn.has(condition) &&
          !isLast &&
          attempts.length + 1 < MAX_ATTEMPTS_PER_REQUEST
        const record: AttemptRecord = {
          ...base,
          outcome: 'failure',
          condition,
          errorCode: isUpstreamError(err) ? err.code : null,
          upstreamStatus: isUpstreamError(err) ? err.upstreamStatus : null,
          latencyMs: Math.max(0, clock.nowMs() - startedMs),
          next: canRetry ? 'retry' : canFallback ? 'fallback' : 'stop',
        }
        attempts.push(record)
        if (canRetry) {
          const wait = backoffMs(target.retry, {
            retry: tryNo,
            random: options.random,
            retryAfterMs: retryAfterOf(err),
          })
          try {
            await options.sleep(wait, signal)
          } catch {
            record.next = 'stop'
            return { ok: false, error: err, attempts }
          }
          continue
        }
        if (canFallback) break
        return { ok: false, error: err, attempts }
      }
    }
  }
  return { ok: false, error: lastError, attempts }
}

/** Wait `ms`, or reject at once when `signal` aborts (the client left during a backoff). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
