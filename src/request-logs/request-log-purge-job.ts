import type { Logger } from '../lib/logger.js'
import type { RequestLogPurge } from './request-logs.service.js'

export interface RequestLogPurgeJob {
  /** One run now. Never throws; a failure is logged and retried at the next tick. */
  runOnce(): Promise<void>
  /** Stop the timer and wait for a run in flight (before the database closes). */
  stop(): Promise<void>
}

/**
 * Purge expired request logs at start and every `intervalMs` (the timer is unref'd; a run still
 * going when the next is due is not doubled). Each gateway instance runs its own job: a second
 * instance finds nothing left to purge and records nothing.
 */
export function startRequestLogPurgeJob(options: {
  purge: () => Promise<RequestLogPurge[]>
  intervalMs: number
  logger: Logger
}): RequestLogPurgeJob {
  let running: Promise<void> | undefined
  const runOnce = (): Promise<void> => {
    running ??= options
      .purge()
      .then(
        (results) => {
          const purged = results.filter((r) => r.purged > 0)
          if (purged.length > 0)
            options.logger.info(
              { organizations: purged.length, rows: purged.reduce((n, r) => n + r.purged, 0) },
              'expired request logs purged',
            )
        },
        (err: unknown) => options.logger.error({ err }, 'purging expired request logs failed'),
      )
      .finally(() => {
        running = undefined
      })
    return running
  }
  const timer = setInterval(() => void runOnce(), options.intervalMs)
  timer.unref()
  void runOnce()
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
