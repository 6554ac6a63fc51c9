import { appendFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * What a hardening test tried and what held, for docs/reliability.md (issue 11). The report is
 * produced from the test run by `npm run reliability` (scripts/reliability-report.ts), never
 * written by hand: each suite records its trials here and the script tabulates them.
 *
 * Record after the cases ran and BEFORE asserting, with the number that did not hold, so a
 * failing run shows up in the report as a failure rather than as a missing row.
 */
export type ReliabilityArea =
  | 'hostile-input' // fuzz and property cases against /v1 and /admin/v1
  | 'slow-clients' // slowloris, slow bodies, connection floods
  | 'admin-auth' // lockout, CSRF, cookies, the role-by-route matrix
  | 'ssrf' // provider base URL guard
  | 'broken-upstreams' // the scripted fault server
  | 'crashes' // SIGKILL at each step of a request's life
  | 'concurrency' // parallel requests against balances and caps
  | 'secrets' // the canary scan and the dependency audit

export interface ReliabilityTrial {
  area: ReliabilityArea
  /** What was tried, e.g. "malformed JSON bodies on every /v1 route". */
  check: string
  /** How many cases, requests, kills or connections were tried. */
  cases: number
  /** How many of them broke the rule being tested (0 when everything held). */
  failures: number
  /** What "held" means for this check, e.g. "4xx in OpenAI's shape, no state change". */
  expectation: string
  /** Optional breakdown, e.g. { "connection refused": 12, "reset mid-body": 12 }. */
  breakdown?: Record<string, number>
}

/** Where trials go: FERRY_RELIABILITY_DIR, or test-artifacts/reliability under the repo. */
export function reliabilityDir(): string {
  return resolve(process.env.FERRY_RELIABILITY_DIR ?? join('test-artifacts', 'reliability'))
}

/** Append one trial (one JSON line per trial, one file per process so writers never interleave). */
export function recordReliability(trial: ReliabilityTrial): void {
  const dir = reliabilityDir()
  mkdirSync(dir, { recursive: true })
  const line = JSON.stringify({ ...trial, recordedAt: new Date().toISOString() })
  appendFileSync(join(dir, `trials-${process.pid}.jsonl`), `${line}\n`)
}
