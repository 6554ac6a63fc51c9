import type { CacheInvalidation, InvalidationMessage } from './cache-invalidation.js'
import { assertInvalidationMessage, dedupeInvalidations } from './encode-invalidation.js'

/** Stages an invalidation inside a transaction; it is published only if the work succeeds. */
export type StageInvalidation = (message: InvalidationMessage) => void

/**
 * Run `work` (which must include its transaction's commit: wrap the whole
 * `db.transaction().execute(…)` or `auditLog.run(…)`), collecting the invalidations it stages,
 * and publish them once it has resolved. When `work` throws (the transaction rolled back)
 * nothing is published. Publishing after commit matters: another instance that reloaded
 * before the commit would cache the old state again.
 * @example
 * await publishAfterCommit(invalidation, (invalidate) =>
 *   auditLog.run(context, 'api_key.revoke', async (tx) => {
 *     await revokeKeyRow(tx, keyId)
 *     invalidate({ kind: 'key', id: keyId })
 *     return { result: undefined, event }
 *   }),
 * )
 */
export async function publishAfterCommit<T>(
  invalidation: Pick<CacheInvalidation, 'publish'>,
  work: (invalidate: StageInvalidation) => Promise<T>,
): Promise<T> {
  const staged: InvalidationMessage[] = []
  const result = await work((message) => {
    assertInvalidationMessage(message)
    staged.push(message)
  })
  for (const message of dedupeInvalidations(staged)) await invalidation.publish(message)
  return result
}
