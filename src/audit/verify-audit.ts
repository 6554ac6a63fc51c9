import { createHash } from 'node:crypto'
import type { Db } from '../storage/index.js'
import { verifyAuditSignature, keyIdOfBase64 } from './audit-signing.js'
import { toAuditEventRecord } from './audit-row.js'
import { toSignedCheckpoint } from './audit-checkpoints.service.js'
import { manifestStatement, type ExportManifest } from './audit-export.js'
import {
  findCheckpoints,
  findChainIds,
  findPurges,
  iterateChainEvents,
} from './audit.repository.js'
import type { ChainAnchor, SignedCheckpoint } from './checkpoint.js'
import { PLATFORM_CHAIN } from './hash-chain.js'
import { createChainVerifier, type ChainReport, type VerifiableEvent } from './verify-chain.js'

export interface AuditVerification {
  ok: boolean
  chains: ChainReport[]
  /** Problems outside any chain: the manifest, unreadable lines, unpinned keys. */
  problems: string[]
  warnings: string[]
  /** The first bad sequence number and its chain, for the CLI's message and exit code. */
  firstProblem?: { chainId: string; sequence: bigint; message: string }
}

function summarize(
  chains: ChainReport[],
  problems: string[],
  warnings: string[],
): AuditVerification {
  const first = chains
    .flatMap((chain) => chain.problems.map((p) => ({ chainId: chain.chainId, ...p })))
    .sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0))[0]
  return {
    ok: problems.length === 0 && first === undefined,
    chains,
    problems,
    warnings,
    ...(first ? { firstProblem: first } : {}),
  }
}

/**
 * Verify a JSONL export offline: the manifest's hash over every preceding byte and its
 * signature, then every chain in it. `trustedKeys` are pinned public keys (base64); without
 * any, the key embedded in the manifest is used and a warning says the result is not pinned.
 */
export function verifyAuditExport(
  text: string,
  options: { trustedKeys?: readonly string[] } = {},
): AuditVerification {
  const problems: string[] = []
  const warnings: string[] = []
  const lastNewline = text.lastIndexOf('\n', text.length - 2)
  const body = text.slice(0, lastNewline + 1)
  const manifestLine = text.slice(lastNewline + 1).trim()
  let manifest: ExportManifest | undefined
  try {
    const parsed = JSON.parse(manifestLine) as ExportManifest
    if (parsed.type === 'manifest') manifest = parsed
  } catch {
    // reported below
  }
  const trusted = new Map<string, string>()
  for (const key of options.trustedKeys ?? []) trusted.set(keyIdOfBase64(key), key)
  if (!manifest) {
    problems.push(
      'the export has no manifest line: it was truncated or is not a Ferry audit export',
    )
  } else {
    if (trusted.size === 0) {
      warnings.push(
        `no public key pinned: trusting the key embedded in the export (${manifest.key_id})`,
      )
      trusted.set(keyIdOfBase64(manifest.public_key), manifest.public_key)
    }
    const publicKey = trusted.get(manifest.key_id)
    const { signature, ...unsigned } = manifest
    if (publicKey === undefined)
      problems.push(`the manifest is signed by unknown key ${manifest.key_id}`)
    else if (
      !verifyAuditSignature({ publicKey, payload: manifestStatement(unsigned), signature })
    ) {
      problems.push('the manifest signature is invalid')
    }
    if (createHash('sha256').update(body).digest('hex') !== manifest.sha256) {
      problems.push(
        'the export does not match the SHA-256 in its manifest (a line was changed, added or removed)',
      )
    }
  }

  const perChain = new Map<
    string,
    { checkpoints: SignedCheckpoint[]; anchor?: ChainAnchor; events: VerifiableEvent[] }
  >()
  const chainOf = (id: string) => {
    let entry = perChain.get(id)
    if (!entry) {
      entry = { checkpoints: [], events: [] }
      perChain.set(id, entry)
    }
    return entry
  }
  let partial = manifest?.partial ?? false
  for (const [index, line] of body.split('\n').entries()) {
    if (line.trim() === '') continue
    let record: { type?: string } & Record<string, unknown>
    try {
      record = JSON.parse(line) as typeof record
    } catch {
      problems.push(`line ${index + 1} is not valid JSON`)
      continue
    }
    switch (record.type) {
      case 'header':
        partial = partial || record.partial === true
        for (const chain of (record.chains as string[] | undefined) ?? []) chainOf(chain)
        break
      case 'anchor':
        chainOf(String(record.chain_id)).anchor = record as unknown as ChainAnchor
        break
      case 'checkpoint': {
        const { type: _type, ...checkpoint } = record
        chainOf(String(record.chain_id)).checkpoints.push(checkpoint as unknown as SignedCheckpoint)
        break
      }
      case 'event': {
        const { type: _type, ...event } = record
        chainOf(String(record.chain_id)).events.push(event as unknown as VerifiableEvent)
        break
      }
      default:
        problems.push(`line ${index + 1} has an unknown record type`)
    }
  }
  const reports: ChainReport[] = []
  for (const [chainId, entry] of perChain) {
    const verifier = createChainVerifier({
      chainId,
      checkpoints: entry.checkpoints,
      trustedKeys: trusted,
      ...(entry.anchor ? { anchor: entry.anchor } : {}),
      partial,
    })
    for (const event of entry.events) verifier.push(event)
    reports.push(verifier.finish())
  }
  return summarize(reports, problems, warnings)
}

/** Verify every chain in the database against its checkpoints and retention anchors. */
export async function verifyAuditDatabase(
  db: Db,
  options: { trustedKeys: readonly string[]; chainId?: string },
): Promise<AuditVerification> {
  const trusted = new Map(options.trustedKeys.map((key) => [keyIdOfBase64(key), key]))
  const chainIds = options.chainId
    ? [options.chainId]
    : [...new Set([PLATFORM_CHAIN, ...(await findChainIds(db))])]
  const reports: ChainReport[] = []
  for (const chainId of chainIds) {
    const purges = await findPurges(db, chainId)
    const last = purges[purges.length - 1]
    const verifier = createChainVerifier({
      chainId,
      checkpoints: (await findCheckpoints(db, chainId)).map(toSignedCheckpoint),
      trustedKeys: trusted,
      ...(last
        ? {
            anchor: {
              chain_id: chainId,
              through_sequence: String(last.through_sequence),
              through_hash: last.through_hash,
              checkpoint_id: last.checkpoint_id,
            },
          }
        : {}),
    })
    for await (const row of iterateChainEvents(db, { chainId }))
      verifier.push(toAuditEventRecord(row))
    reports.push(verifier.finish())
  }
  return summarize(reports, [], [])
}
