import { Command } from 'commander'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { openServices } from '../cli-services.js'
import { cliAuditContext } from '../open-runtime.js'
import { printRecord, reasonFrom, type ReasonFlags } from '../cli-output.js'

export function orgsCommand(): Command {
  const orgs = new Command('orgs').description('customer organizations')

  orgs.addCommand(
    withConfigOptions(new Command('create'))
      .description('create an organization')
      .requiredOption('--name <name>', 'display name')
      .option('--external-id <id>', 'your own customer ID for this organization')
      .option('--json', 'print JSON')
      .action(
        async (flags: ConfigFlags & { name: string; externalId?: string; json?: boolean }) => {
          const services = await openServices(flags)
          try {
            const org = await services.organizations.create(cliAuditContext(), {
              name: flags.name,
              ...(flags.externalId ? { externalId: flags.externalId } : {}),
            })
            printRecord(org, { json: flags.json, title: `organization ${org.organizationId}` })
          } finally {
            await services.close()
          }
        },
      ),
  )

  orgs.addCommand(
    withConfigOptions(new Command('list'))
      .description('list organizations, newest first')
      .option('--search <text>', 'match name, external ID or ID')
      .option('--json', 'print JSON')
      .action(async (flags: ConfigFlags & { search?: string; json?: boolean }) => {
        const services = await openServices(flags)
        try {
          const list = await services.organizations.list({
            ...(flags.search ? { search: flags.search } : {}),
            limit: 1000,
          })
          if (flags.json) console.log(JSON.stringify(list, null, 2))
          else
            for (const org of list)
              console.log(`${org.organizationId}  ${org.status.padEnd(9)}  ${org.name}`)
        } finally {
          await services.close()
        }
      }),
  )

  for (const [name, description] of [
    ['suspend', 'refuse every key of the organization at once'],
    ['reactivate', 'accept the organization’s keys again'],
  ] as const) {
    orgs.addCommand(
      withConfigOptions(new Command(name))
        .description(description)
        .argument('<organization-id>')
        .option(
          '--reason <code>',
          'reason code recorded with this high-risk action, e.g. unpaid_invoice',
          `cli_organization_${name}`,
        )
        .option('--note <text>', 'a short note kept with the reason')
        .action(async (organizationId: string, flags: ConfigFlags & ReasonFlags) => {
          const services = await openServices(flags)
          try {
            const context = cliAuditContext({ reason: reasonFrom(flags) })
            const org =
              name === 'suspend'
                ? await services.organizations.suspend(context, organizationId)
                : await services.organizations.reactivate(context, organizationId)
            console.log(`${org.organizationId} is ${org.status}`)
          } finally {
            await services.close()
          }
        }),
    )
  }
  return orgs
}
