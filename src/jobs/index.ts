export { createJobRunner, type JobDefinition, type JobRunner } from './job-runner.js'
export { findJobRows } from './job-leases.repository.js'
export type { JobLeasesTable } from './job-leases.table.js'
