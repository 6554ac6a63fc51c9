import { createHash } from 'node:crypto'
import type { Db } from '../storage/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import type { AuditSigner } from './audit-signing.js'
import { toAuditEventRecord } from './audit-row.js'
import { toSignedCheckpoint } from './audit-checkpoints.service.js'
import {
  findCheckpoints,
  findChainIds,
  findPurges,
  iterateChainEvents,
} from './audit.repository.js'
import { canonicalJson } from './canonical-json.js'
import type { ChainAnchor } from './checkpoint.js'
import { PLATFORM_CHAIN } from './hash-chain.js'

export const AUDIT_EXPORT_FORMAT = 'ferry.audit.export.v1'

export interface AuditExportOptions {
  /** One organization's chain; absent: every chain (platform included). */
  organizationId?: string
  /** Only the platform chain. */
  platformOnly?: boolean
  /** ISO bounds on created_at; a bounded export is a slice that verifies within itself. */
  from?: string
  to?: string
}

/** What the signed last line of an export states. */
export interface ExportManifest {
  type: 'manifest'
  format: typeof AUDIT_EXPORT_FORMAT
  generated_at: string
  rows: number
  /** SHA-256 (hex) of every byte before the manifest line. */
  sha256: string
  chains: string[]
  partial: boolean
  key_id: string
  public_key: string
  signature: string
}

export function manifestStatement(manifest: Omit<ExportManifest, 'signature'>) {
  const { public_key: _publicKey, ...statement } = manifest
  return statement
}

/**
 * Stream an export as JSON lines: a header, then per chain its retention anchor, its signed
 * checkpoints and its events in sequence order, then a signed manifest line covering every byte
 * before it. Memory stays constant whatever the size of the log. `onManifest`, if given, sees
 * the manifest just before its line is yielded (to store it beside the export).
 */
export async function* exportAuditJsonl(
  deps: { db: Db; clock: Clock; signer: AuditSigner },
  options: AuditExportOptions & { onManifest?: (manifest: ExportManifest) => void } = {},
): AsyncGenerator<string> {
  const digest = createHash('sha256')
  let rows = 0
  const partial = options.from !== undefined || options.to !== undefined
  const chains = options.organizationId
    ? [options.organizationId]
    : options.platformOnly
      ? [PLATFORM_CHAIN]
      : [...new Set([PLATFORM_CHAIN, ...(await findChainIds(deps.db))])]
  const generatedAt = toIsoTimestamp(deps.clock.nowMs())
  const emit = (record: unknown) => {
    const line = `${canonicalJson(record)}\n`
    digest.update(line)
    rows += 1
    return line
  }
  yield emit({
    type: 'header',
    format: AUDIT_EXPORT_FORMAT,
    generated_at: generatedAt,
    chains,
    partial,
    filters: exportFilters(options),
  })
  for (const chainId of chains) {
    const purges = await findPurges(deps.db, chainId)
    const last = purges[purges.length - 1]
    if (last && !partial) {
      const anchor: ChainAnchor = {
        chain_id: chainId,
        through_sequence: String(last.through_sequence),
        through_hash: last.through_hash,
        checkpoint_id: last.checkpoint_id,
      }
      yield emit({ type: 'anchor', ...anchor })
    }
    for (const checkpoint of await findCheckpoints(deps.db, chainId)) {
      yield emit({ type: 'checkpoint', ...toSignedCheckpoint(checkpoint) })
    }
    for await (const row of iterateChainEvents(deps.db, { chainId })) {
      if (options.from !== undefined && row.created_at < options.from) continue
      if (options.to !== undefined && row.created_at > options.to) continue
      yield emit({ type: 'event', ...toAuditEventRecord(row) })
    }
  }
  const unsigned: Omit<ExportManifest, 'signature'> = {
    type: 'manifest',
    format: AUDIT_EXPORT_FORMAT,
    generated_at: generatedAt,
    rows,
    sha256: digest.digest('hex'),
    chains,
    partial,
    key_id: deps.signer.keyId,
    public_key: deps.signer.publicKey,
  }
  const manifest = { ...unsigned, signature: deps.signer.sign(manifestStatement(unsigned)) }
  options.onManifest?.(manifest)
  yield `${canonicalJson(manifest)}\n`
}

/** The filters an export states in its header (the caller's callback is no filter). */
function exportFilters(options: AuditExportOptions): AuditExportOptions {
  const { organizationId, platformOnly, from, to } = options
  return { organizationId, platformOnly, from, to }
}

export const AUDIT_CSV_COLUMNS = [
  'audit_event_id',
  'chain_id',
  'sequence',
  'schema_version',
  'organization_id',
  'actor_type',
  'actor_id',
  'actor_role',
  'actor_ip',
  'user_agent',
  'impersonator_id',
  'support_session_id',
  'target_type',
  'target_id',
  'target_label',
  'action',
  'category',
  'outcome',
  'before',
  'after',
  'reason_code',
  'reason_note',
  'request_id',
  'policy_version',
  'evidence',
  'created_at',
  'previous_hash',
  'hash',
] as const

/**
 * The same events as CSV for spreadsheets: JSON columns hold canonical JSON, so the hash can be
 * recomputed from a row. The signed manifest (rows, SHA-256 of the file) is returned at the end
 * for the caller to store or send beside the file.
 */
export async function* exportAuditCsv(
  deps: { db: Db; clock: Clock; signer: AuditSigner },
  options: AuditExportOptions & { onManifest: (manifest: ExportManifest) => void },
): AsyncGenerator<string> {
  const digest = createHash('sha256')
  let rows = 0
  const chains = options.organizationId
    ? [options.organizationId]
    : options.platformOnly
      ? [PLATFORM_CHAIN]
      : [...new Set([PLATFORM_CHAIN, ...(await findChainIds(deps.db))])]
  const header = `${AUDIT_CSV_COLUMNS.join(',')}\n`
  digest.update(header)
  yield header
  for (const chainId of chains) {
    for await (const row of iterateChainEvents(deps.db, { chainId })) {
      if (options.from !== undefined && row.created_at < options.from) continue
      if (options.to !== undefined && row.created_at > options.to) continue
      const record = toAuditEventRecord(row)
      const line = `${AUDIT_CSV_COLUMNS.map((column) => csvCell(record[column])).join(',')}\n`
      digest.update(line)
      rows += 1
      yield line
    }
  }
  const unsigned: Omit<ExportManifest, 'signature'> = {
    type: 'manifest',
    format: AUDIT_EXPORT_FORMAT,
    generated_at: toIsoTimestamp(deps.clock.nowMs()),
    rows,
    sha256: digest.digest('hex'),
    chains,
    partial: options.from !== undefined || options.to !== undefined,
    key_id: deps.signer.keyId,
    public_key: deps.signer.publicKey,
  }
  options.onManifest({ ...unsigned, signature: deps.signer.sign(manifestStatement(unsigned)) })
}

/** RFC 4180 cell; objects as canonical JSON; a leading formula character is neutralised. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'string' ? value : canonicalJson(value)
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe
}
