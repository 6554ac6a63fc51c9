import type { Selectable } from 'kysely'
import type { Db, Tx } from '../storage/index.js'
import type {
  AuditCheckpointsTable,
  AuditEventsTable,
  AuditExportsTable,
  AuditPurgesTable,
} from './audit.table.js'
import { GENESIS_HASH } from './hash-chain.js'

export type AuditEventRow = Selectable<AuditEventsTable>
export type AuditCheckpointRow = Selectable<AuditCheckpointsTable>
export type AuditPurgeRow = Selectable<AuditPurgesTable>
export type AuditExportRow = Selectable<AuditExportsTable>

/**
 * Advance a chain's head by one and return the new sequence with the hash it follows. The
 * UPDATE takes the head row's lock until commit (PostgreSQL), so concurrent appends to one chain
 * queue up and the sequence stays gapless; a rolled-back transaction gives its number back.
 */
export async function advanceChainHead(
  tx: Tx,
  head: { chainId: string; updatedAt: string },
): Promise<{ sequence: bigint; previousHash: string }> {
  await tx
    .insertInto('audit_chains')
    .values({
      chain_id: head.chainId,
      last_sequence: 0n,
      last_hash: GENESIS_HASH,
      updated_at: head.updatedAt,
    })
    .onConflict((oc) => oc.column('chain_id').doNothing())
    .execute()
  const row = await tx
    .updateTable('audit_chains')
    .set((eb) => ({ last_sequence: eb('last_sequence', '+', 1n), updated_at: head.updatedAt }))
    .where('chain_id', '=', head.chainId)
    .returning(['last_sequence', 'last_hash'])
    .executeTakeFirstOrThrow()
  return { sequence: BigInt(row.last_sequence), previousHash: row.last_hash }
}

export async function insertAuditEvent(tx: Tx, row: AuditEventRow): Promise<void> {
  await tx.insertInto('audit_events').values(row).execute()
  await tx
    .updateTable('audit_chains')
    .set({ last_hash: row.hash })
    .where('chain_id', '=', row.chain_id)
    .execute()
}

export interface AuditEventFilters {
  organizationId?: string
  chainId?: string
  actorId?: string
  action?: string
  category?: string
  targetType?: string
  targetId?: string
  requestId?: string
  /** Inclusive ISO timestamps. */
  from?: string
  to?: string
  /** Continue after this (created_at, audit_event_id) pair: newest first. */
  before?: { createdAt: string; auditEventId: string }
  limit: number
}

/** Newest first, with a keyset cursor: stable under concurrent inserts, no OFFSET scans. */
export async function findAuditEvents(
  db: Db,
  filters: AuditEventFilters,
): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll()
  if (filters.organizationId !== undefined)
    query = query.where('organization_id', '=', filters.organizationId)
  if (filters.chainId !== undefined) query = query.where('chain_id', '=', filters.chainId)
  if (filters.actorId !== undefined) query = query.where('actor_id', '=', filters.actorId)
  if (filters.action !== undefined) query = query.where('action', '=', filters.action)
  if (filters.category !== undefined) query = query.where('category', '=', filters.category)
  if (filters.targetType !== undefined) query = query.where('target_type', '=', filters.targetType)
  if (filters.targetId !== undefined) query = query.where('target_id', '=', filters.targetId)
  if (filters.requestId !== undefined) query = query.where('request_id', '=', filters.requestId)
  if (filters.from !== undefined) query = query.where('created_at', '>=', filters.from)
  if (filters.to !== undefined) query = query.where('created_at', '<=', filters.to)
  const before = filters.before
  if (before !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([
          eb('created_at', '=', before.createdAt),
          eb('audit_event_id', '<', before.auditEventId),
        ]),
      ]),
    )
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('audit_event_id', 'desc')
    .limit(filters.limit)
    .execute()
}

export async function findAuditEventById(
  db: Db,
  auditEventId: string,
): Promise<AuditEventRow | undefined> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('audit_event_id', '=', auditEventId)
    .executeTakeFirst()
}

/** One chain's events in sequence order, in pages (constant memory for exports and verification). */
export async function* iterateChainEvents(
  db: Db,
  options: { chainId: string; pageSize?: number },
): AsyncGenerator<AuditEventRow> {
  let after = -1n
  const pageSize = options.pageSize ?? 1000
  for (;;) {
    const page = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', options.chainId)
      .where('sequence', '>', after)
      .orderBy('sequence', 'asc')
      .limit(pageSize)
      .execute()
    yield* page
    if (page.length < pageSize) return
    after = BigInt(page[page.length - 1]!.sequence)
  }
}

export async function findChainIds(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('audit_chains').select('chain_id').orderBy('chain_id').execute()
  return rows.map((r) => r.chain_id)
}

export async function findChainHead(db: Db, chainId: string) {
  return db
    .selectFrom('audit_chains')
    .selectAll()
    .where('chain_id', '=', chainId)
    .executeTakeFirst()
}

export async function insertCheckpoint(db: Db, row: AuditCheckpointRow): Promise<void> {
  await db.insertInto('audit_checkpoints').values(row).execute()
}

export async function findCheckpoints(db: Db, chainId: string): Promise<AuditCheckpointRow[]> {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('sequence', 'asc')
    .orderBy('created_at', 'asc')
    .execute()
}

export async function findLatestCheckpointTime(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.max('created_at').as('latest'))
    .executeTakeFirst()
  return row?.latest ?? undefined
}

export async function findPurges(db: Db, chainId: string): Promise<AuditPurgeRow[]> {
  return db
    .selectFrom('audit_purges')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('status', '=', 'done')
    .orderBy('through_sequence', 'asc')
    .execute()
}

export async function insertAuditExport(db: Db, row: AuditExportRow): Promise<void> {
  await db.insertInto('audit_exports').values(row).execute()
}

/** Mark an export complete with its signed manifest (canonical JSON). */
export async function completeAuditExport(
  db: Db,
  completion: { exportId: string; manifestJson: string; completedAt: string },
): Promise<void> {
  await db
    .updateTable('audit_exports')
    .set({
      status: 'completed',
      manifest_json: completion.manifestJson,
      completed_at: completion.completedAt,
    })
    .where('export_id', '=', completion.exportId)
    .execute()
}

export async function findAuditExport(
  db: Db,
  exportId: string,
): Promise<AuditExportRow | undefined> {
  return db
    .selectFrom('audit_exports')
    .selectAll()
    .where('export_id', '=', exportId)
    .executeTakeFirst()
}
