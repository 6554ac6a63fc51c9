#!/usr/bin/env node
// The dependency audit of issue 11: no known high or critical vulnerability in what Ferry ships
// (`npm audit --omit=dev`). Exit 0: none; 1: some (listed); 2: the advisory endpoint could not
// be asked (offline, or a registry mirror without the audit API), which is not a pass.
import { spawnSync } from 'node:child_process'

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' })
let report
try {
  report = JSON.parse(run.stdout)
} catch {
  report = undefined
}
if (!report || report.error || !report.metadata) {
  const why = report?.message ?? report?.error?.summary ?? (run.stderr.trim() || 'no answer')
  process.stderr.write(
    `dependency audit: the registry's advisory endpoint did not answer (${why})\n`,
  )
  process.exit(2)
}
const counts = report.metadata.vulnerabilities
const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) =>
  ['high', 'critical'].includes(v.severity),
)
for (const [name, v] of serious) {
  process.stdout.write(
    `${v.severity.padEnd(8)} ${name} ${v.range} (${[v.via]
      .flat()
      .map((x) => (typeof x === 'string' ? x : x.title))
      .join('; ')})\n`,
  )
}
process.stdout.write(
  `dependency audit (production dependencies): ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low\n`,
)
process.exit(serious.length > 0 ? 1 : 0)
