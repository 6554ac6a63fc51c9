import { createHash } from 'node:crypto'
import { Command } from 'commander'
import { outboxSigningKey } from '../../outbox/index.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { cliAuditContext, cliAuditLog, openRuntime } from '../open-runtime.js'

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description(
    'the outbox webhook (audit and usage events; see docs/webhooks.md)',
  )

  webhooks.addCommand(
    withConfigOptions(new Command('signing-secret'))
      .description(
        'print the hex key receivers verify x-ferry-signature with (derived from the master key; recorded in the audit log, the key itself is not)',
      )
      .action(async (flags: ConfigFlags) => {
        const runtime = await openRuntime(flags)
        try {
          const key = outboxSigningKey(runtime.masterKey)
          // The event says who looked and which key (by fingerprint), never the key.
          await cliAuditLog(runtime).record(cliAuditContext(), {
            action: 'webhook.signing_secret_view',
            evidence: {
              purpose: 'outbox-webhook-signing',
              keySha256Prefix: createHash('sha256').update(key).digest('hex').slice(0, 12),
            },
          })
          console.log(key.toString('hex'))
        } finally {
          await runtime.close()
        }
      }),
  )

  return webhooks
}
