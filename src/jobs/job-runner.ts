import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import type { Logger } from '../lib/logger.js'
import type { Db } from '../storage/index.js'
import { claimDueRun, ensureJobRow, finishRun, renewLease } from './job-leases.repository.js'

/** A background job: what to run, and how often across the whole deployment. */
export interface JobDefinition {
  /** Stable name: the `job_leases` row, and the label in logs. */
  readonly name: string
  readonly intervalMs: number
  /** Due as soon as the job is first known to the database; false: one interval later. @default true */
  readonly runAtStart?: boolean
  /** One run. A rejection is logged; the next run is still due one interval later. */
  run(): Promise<unknown>
}

export interface JobRunner {
  /** This runner's owner id (`job_…`), as stored in `job_leases.owner_id`. */
  readonly ownerId: string
  /**
   * Claim every job that is due and not running elsewhere, run each (jobs run side by side; one
   * job never twice at once), and resolve with the names this call ran, after they finished.
   */
  tick(): Promise<string[]>
  /** Poll every `pollMs` (unref'd timers). */
  start(): void
  /** Stop polling and wait for runs in flight (before the database closes). */
  stop(): Promise<void>
}

/**
 * Run background jobs once per interval across every process on one database (ADR 0003): a run
 * happens only after this process wins the job's conditional UPDATE in `job_leases`, which also
 * moves the shared schedule on. While a run lasts its lease is renewed every third of `leaseMs`;
 * a process that dies mid-run is taken over once the lease expires.
 */
export function createJobRunner(deps: {
  db: Db
  clock: Clock
  jobs: readonly JobDefinition[]
  logger: Logger
  /** How long a run is ours without renewal. @default 30000 */
  leaseMs?: number
  /** How often due jobs are looked for. @default the shortest interval, between 100 ms and 5 s */
  pollMs?: number
}): JobRunner {
  const { db, clock, logger } = deps
  const leaseMs = deps.leaseMs ?? 30_000
  const shortest = Math.min(...deps.jobs.map((j) => j.intervalMs))
  const pollMs = deps.pollMs ?? Math.max(100, Math.min(5_000, shortest))
  const ownerId = newId('job', clock.nowMs())
  const running = new Map<string, Promise<void>>()
  let rowsReady: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let healthy = true

  const iso = (ms: number) => toIsoTimestamp(ms)
  const ensureRows = () =>
    (rowsReady ??= (async () => {
      for (const job of deps.jobs) {
        const delayMs = job.runAtStart === false ? job.intervalMs : 0
        await ensureJobRow(db, { jobName: job.name, firstRunAt: iso(clock.nowMs() + delayMs) })
      }
    })().catch((err: unknown) => {
      rowsReady = undefined
      throw err
    }))

  async function runClaimed(job: JobDefinition): Promise<void> {
    const renewal = setInterval(
      () => {
        renewLease(db, {
          jobName: job.name,
          ownerId,
          leaseUntil: iso(clock.nowMs() + leaseMs),
        }).then(
          (ours) => {
            if (!ours) logger.warn({ job: job.name }, 'job lease taken over while running')
          },
          (err: unknown) => logger.warn({ err, job: job.name }, 'renewing a job lease failed'),
        )
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    )
    renewal.unref()
    try {
      await job.run()
    } catch (err) {
      logger.error({ err, job: job.name }, 'background job failed')
    } finally {
      clearInterval(renewal)
      await finishRun(db, { jobName: job.name, ownerId, now: iso(clock.nowMs()) }).catch(
        (err: unknown) => logger.warn({ err, job: job.name }, 'releasing a job lease failed'),
      )
    }
  }

  async function tryClaim(job: JobDefinition): Promise<boolean> {
    const nowMs = clock.nowMs()
    return claimDueRun(db, {
      jobName: job.name,
      ownerId,
      now: iso(nowMs),
      leaseUntil: iso(nowMs + leaseMs),
      nextRunAt: iso(nowMs + job.intervalMs),
    })
  }

  async function tick(): Promise<string[]> {
    const ran: Promise<void>[] = []
    const names: string[] = []
    try {
      await ensureRows()
      for (const job of deps.jobs) {
        if (stopped || running.has(job.name)) continue
        if (!(await tryClaim(job))) continue
        const run = runClaimed(job).finally(() => running.delete(job.name))
        running.set(job.name, run)
        ran.push(run)
        names.push(job.name)
      }
      if (!healthy) logger.info('background jobs: claiming runs again')
      healthy = true
    } catch (err) {
      // The database is away (or the schema behind): say so once, keep polling.
      if (healthy) logger.warn({ err }, 'background jobs: cannot claim runs; retrying')
      healthy = false
    }
    await Promise.all(ran)
    return names
  }

  return {
    ownerId,
    tick,
    start: () => {
      if (timer !== undefined || stopped) return
      void tick()
      timer = setInterval(() => void tick(), pollMs)
      timer.unref()
    },
    stop: async () => {
      stopped = true
      clearInterval(timer)
      timer = undefined
      await Promise.all(running.values())
    },
  }
}
