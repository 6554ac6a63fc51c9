import { writeFileSync } from 'node:fs'
import { Command } from 'commander'
import { isWellFormedRequestId } from '../../lib/ids.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { openServices } from '../cli-services.js'
import { formatEvidenceReport } from '../evidence-report.js'
import { cliAuditContext } from '../open-runtime.js'

/**
 * `ferry evidence <request_id>`: the request's evidence as a report, as the API's JSON
 * document (`--json`), or as a signed bundle (`--bundle <file>`) that `ferry audit verify`
 * checks offline. Each run is audited (`evidence.view`, `evidence.export`).
 */
export function evidenceCommand(): Command {
  return withConfigOptions(new Command('evidence'))
    .description(
      "a request's evidence: usage, money, routing & budget, admin actions and their chain proof",
    )
    .argument('<request_id>', 'the request ID (x-request-id) the customer saw')
    .option('--json', 'print the evidence document (as GET /admin/v1/evidence/requests/{id})')
    .option('--bundle <file>', 'write a signed evidence bundle; check it with `ferry audit verify`')
    .action(async (requestId: string, flags: ConfigFlags & { json?: boolean; bundle?: string }) => {
      if (!isWellFormedRequestId(requestId))
        throw new Error(`'${requestId}' is not a request ID (1–128 of A-Z a-z 0-9 . _ : -)`)
      const services = await openServices(flags)
      try {
        if (flags.bundle !== undefined) {
          const bundle = await services.evidence.exportBundle(cliAuditContext(), requestId)
          writeFileSync(flags.bundle, `${JSON.stringify(bundle, null, 2)}\n`)
          console.log(
            `wrote ${flags.bundle}: evidence of ${requestId} with ${bundle.evidence.auditEvents.length} audit event(s), signed by key ${bundle.key_id}`,
          )
          return
        }
        const document = await services.evidence.getEvidence(cliAuditContext(), requestId, {
          format: flags.json ? 'json' : 'text',
        })
        console.log(flags.json ? JSON.stringify(document, null, 2) : formatEvidenceReport(document))
      } finally {
        await services.close()
      }
    })
}
