import { Command } from 'commander'
import { systemClock } from '../../lib/clock.js'
import {
  diagnose,
  gatherDeploymentFacts,
  hasHighRisk,
  sortFindings,
  SEVERITIES,
  type Finding,
} from '../../doctor/index.js'
import { loadConfigFromFlags, withConfigOptions, type ConfigFlags } from '../config-options.js'

/** Exit code when a high-risk finding is reported (1 is also any failure; 2 is bad usage). */
const EXIT_HIGH_RISK = 1

export function doctorCommand(): Command {
  return withConfigOptions(new Command('doctor'))
    .description(
      'check this deployment against the operational checklist and say what to fix; exits 1 when something high-risk is found (docs/doctor.md)',
    )
    .option('--json', 'print the findings as JSON')
    .option(
      '--behind-proxy',
      'a reverse proxy or load balancer is in front of the gateway (checks server.trustedProxies)',
    )
    .action(async (flags: ConfigFlags & { json?: boolean; behindProxy?: boolean }) => {
      const config = loadConfigFromFlags(flags)
      const facts = await gatherDeploymentFacts(config, {
        nowMs: systemClock.nowMs(),
        behindProxy: flags.behindProxy === true,
      })
      const findings = sortFindings(diagnose(facts))
      const counts = Object.fromEntries(
        SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
      )
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ database: facts.database.location, counts, findings }, null, 2)}\n`,
        )
      } else {
        process.stdout.write(renderReport(facts.database.location, counts, findings))
      }
      if (hasHighRisk(findings)) process.exitCode = EXIT_HIGH_RISK
    })
}

function renderReport(location: string, counts: Record<string, number>, findings: Finding[]) {
  const lines = [
    `ferry doctor: ${location}`,
    `${counts.high} high, ${counts.medium} medium, ${counts.low} low, ${counts.ok} ok`,
    '',
  ]
  for (const finding of findings) {
    lines.push(`${finding.severity.toUpperCase().padEnd(6)} ${finding.id}`)
    lines.push(`       ${finding.summary}`)
    if (finding.fix) lines.push(`       fix: ${finding.fix}`)
  }
  return `${lines.join('\n')}\n`
}
