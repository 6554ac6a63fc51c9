import { createWriteStream, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { Command } from 'commander'
import {
  createAuditCheckpointer,
  createAuditSigner,
  exportAuditCsv,
  exportAuditJsonl,
  verifyAuditDatabase,
  verifyAuditExport,
  type AuditVerification,
  type ExportManifest,
} from '../../audit/index.js'
import {
  isEvidenceBundle,
  verifyEvidenceBundle,
  type EvidenceBundleVerification,
} from '../../evidence/index.js'
import { systemClock } from '../../lib/clock.js'
import { withConfigOptions, type ConfigFlags } from '../config-options.js'
import { cliAuditContext, cliAuditLog, openRuntime } from '../open-runtime.js'

/** Exit code when verification finds a problem. */
const EXIT_TAMPERED = 1

export function auditCommand(): Command {
  const audit = new Command('audit').description(
    'verify, export and checkpoint the admin audit log',
  )

  audit.addCommand(
    withConfigOptions(new Command('verify'))
      .description(
        'verify an export file or an evidence bundle offline, or the database (--database)',
      )
      .argument(
        '[file]',
        'a JSONL export (`ferry audit export`, the admin API) or an evidence bundle (`ferry evidence --bundle`)',
      )
      .option('--database', 'verify every chain in the configured database')
      .option(
        '--public-key <base64...>',
        'trusted signing public key(s); pin these for a real audit',
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (
          file: string | undefined,
          flags: ConfigFlags & { database?: boolean; publicKey?: string[]; json?: boolean },
        ) => {
          let result: AuditVerification
          if (flags.database) {
            const runtime = await openRuntime(flags)
            try {
              const signer = createAuditSigner(runtime.masterKey)
              result = await verifyAuditDatabase(runtime.database.db, {
                trustedKeys: [signer.publicKey, ...(flags.publicKey ?? [])],
              })
              await cliAuditLog(runtime).record(cliAuditContext(), {
                action: 'audit_log.verify',
                target: { type: 'audit_log', id: 'database', label: 'database' },
                after: { rows: result.chains.reduce((n, c) => n + c.events, 0) },
                outcome: result.ok ? 'success' : 'failure',
              })
            } finally {
              await runtime.close()
            }
          } else {
            if (file === undefined) throw new Error('give an export file, or --database')
            const text = readFileSync(file, 'utf8')
            const bundle = parseBundle(text)
            if (bundle !== undefined) {
              const checked = verifyEvidenceBundle(bundle, { trustedKeys: flags.publicKey ?? [] })
              printBundleVerification(checked, flags.json ?? false)
              if (!checked.ok) process.exitCode = EXIT_TAMPERED
              return
            }
            result = verifyAuditExport(text, { trustedKeys: flags.publicKey ?? [] })
          }
          printVerification(result, flags.json ?? false)
          if (!result.ok) process.exitCode = EXIT_TAMPERED
        },
      ),
  )

  audit.addCommand(
    withConfigOptions(new Command('export'))
      .description('export the audit log with a signed manifest (an audited data-access action)')
      .option('--org <id>', "one organization's chain (default: every chain)")
      .option('--format <format>', 'jsonl (verifiable offline) or csv', 'jsonl')
      .option('--from <iso>', 'first created_at to include (a slice)')
      .option('--to <iso>', 'last created_at to include (a slice)')
      .requiredOption('-o, --output <file>', 'where to write the export')
      .action(
        async (
          flags: ConfigFlags & {
            org?: string
            format: string
            from?: string
            to?: string
            output: string
          },
        ) => {
          if (flags.format !== 'jsonl' && flags.format !== 'csv')
            throw new Error('--format must be jsonl or csv')
          const runtime = await openRuntime(flags)
          try {
            const deps = {
              db: runtime.database.db,
              clock: systemClock,
              signer: createAuditSigner(runtime.masterKey),
            }
            const filters = {
              ...(flags.org ? { organizationId: flags.org } : {}),
              ...(flags.from ? { from: flags.from } : {}),
              ...(flags.to ? { to: flags.to } : {}),
            }
            await cliAuditLog(runtime).record(cliAuditContext(), {
              action: 'audit_log.export',
              organizationId: flags.org ?? null,
              target: { type: 'audit_log', id: flags.org ?? 'all', label: null },
              after: { filters, format: flags.format },
            })
            let manifest: ExportManifest | undefined
            const lines =
              flags.format === 'csv'
                ? exportAuditCsv(deps, { ...filters, onManifest: (m) => (manifest = m) })
                : exportAuditJsonl(deps, filters)
            const out = createWriteStream(flags.output)
            for await (const line of lines) if (!out.write(line)) await once(out, 'drain')
            out.end()
            await once(out, 'finish')
            if (manifest) {
              const manifestFile = `${flags.output}.manifest.json`
              await writeText(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`)
              console.log(`wrote ${flags.output} and ${manifestFile}`)
            } else {
              console.log(`wrote ${flags.output}`)
            }
          } finally {
            await runtime.close()
          }
        },
      ),
  )

  audit.addCommand(
    withConfigOptions(new Command('checkpoint'))
      .description('sign a checkpoint of every chain now')
      .action(async (flags: ConfigFlags) => {
        const runtime = await openRuntime(flags)
        try {
          const written = await createAuditCheckpointer({
            db: runtime.database.db,
            clock: systemClock,
            signer: createAuditSigner(runtime.masterKey),
          }).writeCheckpoints()
          for (const c of written)
            console.log(
              `${c.chain_id}: sequence ${c.sequence} ${c.hash.slice(0, 16)}… signed by ${c.key_id}`,
            )
        } finally {
          await runtime.close()
        }
      }),
  )

  audit.addCommand(
    withConfigOptions(new Command('public-key'))
      .description(
        'print the public key that signs checkpoints and exports (pin it for verification)',
      )
      .action(async (flags: ConfigFlags) => {
        const runtime = await openRuntime(flags)
        try {
          const signer = createAuditSigner(runtime.masterKey)
          console.log(
            JSON.stringify({
              key_id: signer.keyId,
              algorithm: 'Ed25519',
              public_key: signer.publicKey,
            }),
          )
        } finally {
          await runtime.close()
        }
      }),
  )
  return audit
}

function printVerification(result: AuditVerification, asJson: boolean) {
  if (asJson) {
    console.log(
      JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2),
    )
    return
  }
  for (const warning of result.warnings) console.error(`warning: ${warning}`)
  for (const chain of result.chains) {
    const range =
      chain.lastSequence === null
        ? 'no events'
        : `sequence ${chain.firstSequence}..${chain.lastSequence}`
    console.log(
      `${chain.chainId}: ${chain.events} events (${range}), ${chain.checkpointsVerified} checkpoint(s) verified${chain.partial ? ', partial slice' : ''}`,
    )
  }
  for (const problem of result.problems) console.error(`FAILED: ${problem}`)
  if (result.firstProblem) {
    console.error(
      `FAILED: chain ${result.firstProblem.chainId}, first bad sequence ${result.firstProblem.sequence}: ${result.firstProblem.message}`,
    )
  }
  if (result.ok) console.log('audit log verified')
}

/** An evidence bundle is one JSON document; an export is JSON lines (never one document). */
function parseBundle(text: string) {
  try {
    const parsed: unknown = JSON.parse(text)
    return isEvidenceBundle(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

function printBundleVerification(result: EvidenceBundleVerification, asJson: boolean) {
  if (asJson) {
    console.log(
      JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2),
    )
    return
  }
  for (const warning of result.warnings) console.error(`warning: ${warning}`)
  console.log(
    `evidence bundle for request ${result.requestId ?? '?'}, signed by key ${result.keyId ?? '?'}`,
  )
  for (const event of result.events)
    console.log(
      `  ${event.auditEventId} ${event.action} (chain ${event.chainId} #${event.sequence}): ${event.status}`,
    )
  for (const problem of result.problems) console.error(`FAILED: ${problem}`)
  if (result.ok) console.log('evidence bundle verified')
}

async function writeText(path: string, text: string) {
  const out = createWriteStream(path)
  out.end(text)
  await once(out, 'finish')
}
