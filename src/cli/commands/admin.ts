import { Command, Option } from 'commander'
import { ADMIN_ROLES, type AdminRole } from '../../admins/index.js'
import { systemClock } from '../../lib/clock.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { openServices } from '../cli-services.js'
import { cliAuditContext } from '../open-runtime.js'
import { parseDuration } from '../../lib/duration.js'
import { promptNewPassword, readPasswordFromStdin } from '../read-password.js'

interface CreateFlags extends ConfigFlags {
  email: string
  role: AdminRole
  name?: string
  passwordStdin?: boolean
  reason: string
}

interface TokenFlags extends ConfigFlags {
  email: string
  name: string
  expiresIn?: string
  reason: string
}

/** `ferry admin create` and `ferry admin token create`: bootstrap admins and automation tokens. */
export function adminCommand(): Command {
  const admin = new Command('admin').description('admin users and admin API tokens')

  admin.addCommand(
    withConfigOptions(new Command('create'))
      .description('create an admin (the first owner, typically); audited as the CLI user')
      .requiredOption('--email <email>', 'login email')
      .addOption(
        new Option('--role <role>', 'role').choices([...ADMIN_ROLES]).makeOptionMandatory(),
      )
      .option('--name <name>', 'display name (default: the email)')
      .option('--password-stdin', 'read the password from standard input instead of prompting')
      .option(
        '--reason <code>',
        'reason code recorded with this high-risk action',
        'cli_admin_create',
      )
      .action(async (flags: CreateFlags) => {
        const password = flags.passwordStdin
          ? await readPasswordFromStdin()
          : await promptNewPassword()
        const services = await openServices(flags)
        try {
          const created = await services.users.createAdmin(
            { audit: cliAuditContext({ reason: { code: flags.reason } }) },
            {
              email: flags.email,
              role: flags.role,
              password,
              ...(flags.name ? { displayName: flags.name } : {}),
            },
          )
          console.log(`created ${created.role} ${created.adminId} (${created.email})`)
        } finally {
          await services.close()
        }
      }),
  )

  const token = new Command('token').description('admin API tokens for automation')
  token.addCommand(
    withConfigOptions(new Command('create'))
      .description('create an admin API token and print it once')
      .requiredOption('--email <email>', 'the admin the token acts as')
      .option('--name <name>', 'what the token is for', 'cli token')
      .option('--expires-in <duration>', 'lifetime such as 90d, 12h or 30m (default: no expiry)')
      .option(
        '--reason <code>',
        'reason code recorded with this high-risk action',
        'cli_token_create',
      )
      .action(async (flags: TokenFlags) => {
        const expiresInMs =
          flags.expiresIn === undefined ? undefined : parseDuration(flags.expiresIn)
        if (flags.expiresIn !== undefined && !expiresInMs) {
          throw new Error(
            `--expires-in: expected a duration such as 90d, 12h or 30m, got ${JSON.stringify(flags.expiresIn)}`,
          )
        }
        const services = await openServices(flags)
        try {
          const owner = await services.users.findAdminByEmail(flags.email)
          if (!owner) throw new Error(`no admin with email ${flags.email}`)
          const created = await services.tokens.createToken(
            cliAuditContext({ reason: { code: flags.reason } }),
            {
              adminId: owner.adminId,
              name: flags.name,
              ...(expiresInMs !== undefined
                ? { expiresAtMs: systemClock.nowMs() + expiresInMs }
                : {}),
            },
          )
          // The token alone on stdout, so `TOKEN=$(ferry admin token create …)` works.
          console.log(created.token)
          console.error(
            `admin token ${created.info.tokenId} (${created.info.label}) for ${owner.email}${
              created.info.expiresAt ? `, expires ${created.info.expiresAt}` : ''
            }: shown once, store it now`,
          )
        } finally {
          await services.close()
        }
      }),
  )
  admin.addCommand(token)
  return admin
}
