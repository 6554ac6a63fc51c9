import { Command, Option } from 'commander'
import {
  DEFAULT_ROTATION_GRACE_MS,
  KEY_ENVIRONMENTS,
  MAX_ROTATION_GRACE_MS,
  type KeyEnvironment,
} from '../../keys/index.js'
import { parseDuration } from '../../lib/duration.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { openServices } from '../cli-services.js'
import { printRecord, reasonFrom, type ReasonFlags } from '../cli-output.js'
import { cliAuditContext } from '../open-runtime.js'

const SECRET_WARNING = 'Store this secret now: it is shown once and cannot be recovered.'

export function keysCommand(): Command {
  const keys = new Command('keys').description('customer API keys')

  keys.addCommand(
    withConfigOptions(new Command('create'))
      .description('issue a new API key for an organization (the secret is printed once)')
      .requiredOption('--org <organization-id>', 'the owning organization')
      .option('--name <name>', 'what the key is for', 'default')
      .addOption(
        new Option('--env <environment>', 'live or test')
          .choices([...KEY_ENVIRONMENTS])
          .default('live'),
      )
      .option('--models <list>', 'comma-separated models or aliases the key may use (default: any)')
      .option('--expires-in <duration>', 'e.g. 90d')
      .option('--json', 'print JSON (includes the secret)')
      .action(
        async (
          flags: ConfigFlags & {
            org: string
            name: string
            env: KeyEnvironment
            models?: string
            expiresIn?: string
            json?: boolean
          },
        ) => {
          const expiresInMs =
            flags.expiresIn === undefined ? undefined : parseDuration(flags.expiresIn)
          if (flags.expiresIn !== undefined && !expiresInMs)
            throw new Error('--expires-in must look like 90d, 12h or 30m')
          const services = await openServices(flags)
          try {
            const { key, secret } = await services.keys.create(cliAuditContext(), {
              organizationId: flags.org,
              name: flags.name,
              environment: flags.env,
              ...(flags.models
                ? {
                    scopes: {
                      models: flags.models.split(',').map((m) => m.trim()),
                      endpoints: null,
                    },
                  }
                : {}),
              ...(expiresInMs
                ? { expiresAt: new Date(Date.now() + expiresInMs).toISOString() }
                : {}),
            })
            if (flags.json) console.log(JSON.stringify({ ...key, secret }, null, 2))
            else {
              printRecord(key, { title: `API key ${key.keyId}` })
              console.log(`\n  secret         ${secret}\n\n${SECRET_WARNING}`)
            }
          } finally {
            await services.close()
          }
        },
      ),
  )

  keys.addCommand(
    withConfigOptions(new Command('list'))
      .description("list an organization's keys (never their secrets)")
      .requiredOption('--org <organization-id>')
      .option('--json', 'print JSON')
      .action(async (flags: ConfigFlags & { org: string; json?: boolean }) => {
        const services = await openServices(flags)
        try {
          const list = await services.keys.listForOrganization({
            organizationId: flags.org,
            limit: 1000,
          })
          if (flags.json) console.log(JSON.stringify(list, null, 2))
          else
            for (const k of list)
              console.log(
                `${k.keyId}  ${k.environment.padEnd(4)}  ${k.status.padEnd(7)}  ${k.label}  ${k.name}`,
              )
        } finally {
          await services.close()
        }
      }),
  )

  keys.addCommand(
    withConfigOptions(new Command('revoke'))
      .description('revoke a key: it stops working at once, on every instance')
      .argument('<key-id>')
      // High-risk: a reason is always recorded. The operator at the terminal may name one;
      // otherwise the command's own code says it came from the CLI (as `ferry admin` does).
      .option(
        '--reason <code>',
        'reason code recorded with this high-risk action, e.g. key_leaked',
        'cli_key_revocation',
      )
      .option('--note <text>', 'a short note kept with the reason')
      .action(async (keyId: string, flags: ConfigFlags & ReasonFlags) => {
        const services = await openServices(flags)
        try {
          const key = await services.keys.revoke(
            cliAuditContext({ reason: reasonFrom(flags) }),
            keyId,
          )
          console.log(`${key.keyId} (${key.label}) revoked at ${key.revokedAt ?? ''}`)
        } finally {
          await services.close()
        }
      }),
  )

  keys.addCommand(
    withConfigOptions(new Command('rotate'))
      .description('issue a new secret; the old one keeps working for the grace period')
      .argument('<key-id>')
      .option('--grace <duration>', 'how long the old secret keeps working (0 = stop now)', '24h')
      .option(
        '--reason <code>',
        'reason code recorded with this high-risk action, e.g. customer_requested_key_rotation',
        'cli_key_rotation',
      )
      .option('--note <text>', 'a short note kept with the reason')
      .option('--json', 'print JSON (includes the secret)')
      .action(
        async (
          keyId: string,
          flags: ConfigFlags & ReasonFlags & { grace: string; json?: boolean },
        ) => {
          const graceMs = parseDuration(flags.grace) ?? DEFAULT_ROTATION_GRACE_MS
          if (parseDuration(flags.grace) === undefined || graceMs > MAX_ROTATION_GRACE_MS) {
            throw new Error('--grace must be a duration up to 30d, like 24h or 0')
          }
          const services = await openServices(flags)
          try {
            const { key, secret } = await services.keys.rotate(
              cliAuditContext({ reason: reasonFrom(flags) }),
              keyId,
              { graceMs },
            )
            if (flags.json) console.log(JSON.stringify({ ...key, secret }, null, 2))
            else {
              console.log(
                `${key.keyId} rotated; old secret works until ${key.graceEndsAt ?? 'now (no grace)'}`,
              )
              console.log(`\n  secret         ${secret}\n\n${SECRET_WARNING}`)
            }
          } finally {
            await services.close()
          }
        },
      ),
  )
  return keys
}
