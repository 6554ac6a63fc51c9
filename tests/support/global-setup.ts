import { rmSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { reliabilityDir } from './reliability-log.js'
import { TEST_POSTGRES_URL, TEST_REDIS_URL, isReachable } from './services.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAvailable: boolean
    redisAvailable: boolean
  }
}

/**
 * Probe PostgreSQL and Redis once for the whole run. Where one is missing its suites are
 * skipped with a line saying so; with FERRY_TEST_REQUIRE_SERVICES=1 (CI) the run fails instead.
 */
export default async function setup(project: TestProject) {
  // Trials recorded for docs/reliability.md describe this run only (scripts/reliability-report.ts).
  rmSync(reliabilityDir(), { recursive: true, force: true })
  const [postgres, redis] = await Promise.all([
    isReachable(TEST_POSTGRES_URL, 5432),
    isReachable(TEST_REDIS_URL, 6379),
  ])
  const required = process.env.FERRY_TEST_REQUIRE_SERVICES === '1'
  const missing = [
    ...(postgres ? [] : [`PostgreSQL (${redactUrl(TEST_POSTGRES_URL)})`]),
    ...(redis ? [] : [`Redis (${redactUrl(TEST_REDIS_URL)})`]),
  ]
  if (missing.length > 0) {
    const line = `ferry tests: ${missing.join(' and ')} unreachable`
    if (required) throw new Error(`${line}; FERRY_TEST_REQUIRE_SERVICES=1 makes this a failure`)
    process.stderr.write(`\n*** ${line}: those suites are SKIPPED ***\n\n`)
  }
  project.provide('postgresAvailable', postgres)
  project.provide('redisAvailable', redis)
}

function redactUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
