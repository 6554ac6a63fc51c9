/**
 * `job_leases` (migration 0014-job-leases): one row per background job. `next_run_at` is the
 * shared schedule; `owner_id` and `lease_expires_at` name the process running it right now (null
 * between runs). Mutable by design: this is coordination state, not a record (runs that change
 * data are audited by the jobs themselves).
 */
export interface JobLeasesTable {
  /** A JOB_NAMES entry, e.g. `billing.sweep`. */
  job_name: string
  /** When the next run is due (ISO). A run is claimed only once this has passed. */
  next_run_at: string
  /** The process running it now (`job_…` id of its runner), or null between runs. */
  owner_id: string | null
  /** Until when the current run's owner holds it; a dead owner's run is taken over after this. */
  lease_expires_at: string | null
  last_started_at: string | null
  last_finished_at: string | null
  /** Runs claimed so far, across every process. */
  run_count: bigint
}
