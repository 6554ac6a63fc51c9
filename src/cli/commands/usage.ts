import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { Command } from 'commander'
import { isInvoiceMonth, monthPeriod } from '../../billing/index.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { openServices } from '../cli-services.js'
import { cliAuditContext } from '../open-runtime.js'

/** ISO date or date-time → the stored form; throws a usage error otherwise. */
function isoFlag(name: string, value: string): string {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new Error(`${name} must be an ISO 8601 date or date-time`)
  return new Date(ms).toISOString()
}

export function usageCommand(): Command {
  const usage = new Command('usage').description('usage events: the CSV export')

  usage.addCommand(
    withConfigOptions(new Command('export'))
      .description(
        "export one organization's usage events as CSV (schema v1, docs/usage-export.md); an audited data-access action",
      )
      .requiredOption('--org <id>', 'the organization')
      .option('--month <YYYY-MM>', 'a calendar month (UTC)')
      .option('--from <iso>', 'first created_at to include (with --to, instead of --month)')
      .option('--to <iso>', 'first created_at not to include')
      .option('--environment <env>', 'live or test (default: both)')
      .option('--out <file>', 'where to write the CSV (default: stdout)')
      .action(
        async (
          flags: ConfigFlags & {
            org: string
            month?: string
            from?: string
            to?: string
            environment?: string
            out?: string
          },
        ) => {
          let period: { from: string; to: string; month?: string }
          if (flags.month !== undefined) {
            if (!isInvoiceMonth(flags.month)) throw new Error('--month must be YYYY-MM')
            if (flags.from !== undefined || flags.to !== undefined)
              throw new Error('give --month or --from/--to, not both')
            period = { month: flags.month, ...monthPeriod(flags.month) }
          } else {
            if (flags.from === undefined || flags.to === undefined)
              throw new Error('give --month YYYY-MM, or both --from and --to')
            period = { from: isoFlag('--from', flags.from), to: isoFlag('--to', flags.to) }
          }
          if (
            flags.environment !== undefined &&
            flags.environment !== 'live' &&
            flags.environment !== 'test'
          )
            throw new Error('--environment must be live or test')
          const services = await openServices(flags)
          try {
            // The same service as the admin API: the export.usage_csv event is recorded first.
            const started = await services.usage.startExport(cliAuditContext(), {
              organizationId: flags.org,
              ...period,
              ...(flags.environment !== undefined ? { environment: flags.environment } : {}),
            })
            const out: Writable = flags.out ? createWriteStream(flags.out) : process.stdout
            for await (const chunk of started.lines) if (!out.write(chunk)) await once(out, 'drain')
            if (flags.out) {
              out.end()
              await once(out, 'finish')
              console.error(`wrote ${flags.out} (${started.rows} rows, usage export v1)`)
            }
          } finally {
            await services.close()
          }
        },
      ),
  )
  return usage
}
