import type { Logger } from '../lib/logger.js'
import type { AuditCheckpointer } from './audit-checkpoints.service.js'

export interface AuditCheckpointJob {
  /** One run now: sign every chain's head. Never throws; a failure is logged. */
  runOnce(): Promise<void>
  /** Stop the timer and wait for a run in flight (before the database closes). */
  stop(): Promise<void>
}

/**
 * Sign a checkpoint of every chain every `intervalMs`, also when nothing happened: a signed
 * "still at sequence N" is what lets a verifier tell a quiet period from a deleted tail. The
 * timer is unref'd (it never keeps the process alive), a run still going when the next one is
 * due is not doubled, and a failure is logged and retried at the next tick. A single-process
 * timer: the gateway itself runs `writeCheckpoints` under the job runner (src/jobs/), once per
 * interval across processes.
 */
export function startAuditCheckpointJob(options: {
  checkpointer: AuditCheckpointer
  intervalMs: number
  logger: Logger
}): AuditCheckpointJob {
  let running: Promise<void> | undefined
  const runOnce = (): Promise<void> => {
    running ??= options.checkpointer
      .writeCheckpoints()
      .then(
        (written) => options.logger.debug({ chains: written.length }, 'audit checkpoints written'),
        (err: unknown) => options.logger.error({ err }, 'writing audit checkpoints failed'),
      )
      .finally(() => {
        running = undefined
      })
    return running
  }
  const timer = setInterval(() => void runOnce(), options.intervalMs)
  timer.unref()
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
