/** The signed statement a checkpoint makes: chain `chainId` had `sequence` events ending in `hash`. */
export interface CheckpointStatement {
  type: 'ferry.audit.checkpoint.v1'
  checkpoint_id: string
  chain_id: string
  sequence: string
  hash: string
  created_at: string
  key_id: string
}

/** A checkpoint as stored and exported: the statement plus its Ed25519 signature (base64). */
export interface SignedCheckpoint extends Omit<CheckpointStatement, 'type'> {
  signature: string
}

export function checkpointStatement(
  checkpoint: Omit<SignedCheckpoint, 'signature'>,
): CheckpointStatement {
  return {
    type: 'ferry.audit.checkpoint.v1',
    checkpoint_id: checkpoint.checkpoint_id,
    chain_id: checkpoint.chain_id,
    sequence: checkpoint.sequence,
    hash: checkpoint.hash,
    created_at: checkpoint.created_at,
    key_id: checkpoint.key_id,
  }
}

/** Where a purged chain now starts: events through `through_sequence` were removed by retention. */
export interface ChainAnchor {
  chain_id: string
  through_sequence: string
  through_hash: string
  checkpoint_id: string
}
