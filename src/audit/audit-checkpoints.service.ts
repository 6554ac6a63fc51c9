import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import type { Db, Tx } from '../storage/index.js'
import type { AuditSigner } from './audit-signing.js'
import { findChainHead, findChainIds, insertCheckpoint } from './audit.repository.js'
import { checkpointStatement, type SignedCheckpoint } from './checkpoint.js'
import { GENESIS_HASH, PLATFORM_CHAIN } from './hash-chain.js'

export interface AuditCheckpointer {
  /**
   * Sign the current head of every chain (the platform chain always, even when empty), so that
   * silence is provable and a cut-off tail is detectable. Returns the checkpoints written.
   * With `tx`, reads the heads and writes inside that transaction (an audited admin request:
   * the checkpoints commit only with the event that records them).
   */
  writeCheckpoints(options?: { chainId?: string; tx?: Tx }): Promise<SignedCheckpoint[]>
}

export function createAuditCheckpointer(deps: {
  db: Db
  clock: Clock
  signer: AuditSigner
}): AuditCheckpointer {
  return {
    writeCheckpoints: async (options = {}) => {
      const db = options.tx ?? deps.db
      const chainIds = options.chainId
        ? [options.chainId]
        : [...new Set([PLATFORM_CHAIN, ...(await findChainIds(db))])]
      const written: SignedCheckpoint[] = []
      for (const chainId of chainIds) {
        const head = await findChainHead(db, chainId)
        const nowMs = deps.clock.nowMs()
        const unsigned = {
          checkpoint_id: newId('ckp', nowMs),
          chain_id: chainId,
          sequence: String(head?.last_sequence ?? 0n),
          hash: head?.last_hash ?? GENESIS_HASH,
          created_at: toIsoTimestamp(nowMs),
          key_id: deps.signer.keyId,
        }
        const checkpoint: SignedCheckpoint = {
          ...unsigned,
          signature: deps.signer.sign(checkpointStatement(unsigned)),
        }
        await insertCheckpoint(db, { ...checkpoint, sequence: BigInt(checkpoint.sequence) })
        written.push(checkpoint)
      }
      return written
    },
  }
}

/** Convert a stored checkpoint row to its exported form (sequence as a decimal string). */
export function toSignedCheckpoint(row: {
  checkpoint_id: string
  chain_id: string
  sequence: bigint
  hash: string
  created_at: string
  key_id: string
  signature: string
}): SignedCheckpoint {
  return { ...row, sequence: String(row.sequence) }
}
