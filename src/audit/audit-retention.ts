import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { InvalidRequestError } from '../lib/errors.js'
import { takeWriteLock, type Db } from '../storage/index.js'
import type { AuditSigner } from './audit-signing.js'
import { checkpointStatement } from './checkpoint.js'
import { appendAuditEvent } from './run-audited.js'

/**
 * The only path that deletes audit events: remove a chain's events through `throughSequence`,
 * after signing a checkpoint at that point and recording it as the chain's anchor, so what
 * remains still verifies. The purge is itself an audit event (system actor), and the database
 * triggers allow the DELETE only while this purge is marked running, inside this transaction.
 */
export async function purgeAuditChain(
  deps: { db: Db; clock: Clock; signer: AuditSigner; outbox?: boolean },
  options: { chainId: string; throughSequence: bigint; job: string },
): Promise<{ purged: number }> {
  return deps.db.transaction().execute(async (tx) => {
    await takeWriteLock(tx)
    const through = await tx
      .selectFrom('audit_events')
      .select(['hash', 'organization_id'])
      .where('chain_id', '=', options.chainId)
      .where('sequence', '=', options.throughSequence)
      .executeTakeFirst()
    if (!through) {
      throw new InvalidRequestError(
        `Chain ${options.chainId} has no event ${options.throughSequence} to purge through.`,
      )
    }
    const nowMs = deps.clock.nowMs()
    const unsigned = {
      checkpoint_id: newId('ckp', nowMs),
      chain_id: options.chainId,
      sequence: String(options.throughSequence),
      hash: through.hash,
      created_at: toIsoTimestamp(nowMs),
      key_id: deps.signer.keyId,
    }
    const signature = deps.signer.sign(checkpointStatement(unsigned))
    await tx
      .insertInto('audit_checkpoints')
      .values({ ...unsigned, sequence: options.throughSequence, signature })
      .execute()
    const purgeId = newId('apg', nowMs)
    await tx
      .insertInto('audit_purges')
      .values({
        purge_id: purgeId,
        chain_id: options.chainId,
        through_sequence: options.throughSequence,
        through_hash: through.hash,
        checkpoint_id: unsigned.checkpoint_id,
        status: 'running',
        created_at: unsigned.created_at,
      })
      .execute()
    const deleted = await tx
      .deleteFrom('audit_events')
      .where('chain_id', '=', options.chainId)
      .where('sequence', '<=', options.throughSequence)
      .executeTakeFirst()
    await tx
      .updateTable('audit_purges')
      .set({ status: 'done' })
      .where('purge_id', '=', purgeId)
      .execute()
    const purged = Number(deleted.numDeletedRows)
    await appendAuditEvent(tx, {
      context: {
        actor: { type: 'system', id: `system:${options.job}`, role: null },
        ip: null,
        userAgent: null,
        requestId: null,
      },
      event: {
        action: 'audit_log.retention_purge',
        organizationId: through.organization_id,
        target: { type: 'audit_log', id: options.chainId, label: null },
        after: {
          chainId: options.chainId,
          throughSequence: String(options.throughSequence),
          rows: purged,
        },
      },
      nowMs,
      outbox: deps.outbox ?? false,
    })
    return { purged }
  })
}
