import { verifyAuditSignature } from './audit-signing.js'
import { checkpointStatement, type ChainAnchor, type SignedCheckpoint } from './checkpoint.js'
import { GENESIS_HASH, computeEventHash, type HashedAuditFields } from './hash-chain.js'

/** An event as verification sees it: the hashed fields plus the stored hash. */
export type VerifiableEvent = HashedAuditFields & { hash: string }

export interface ChainProblem {
  /** The first sequence number that does not verify. */
  sequence: bigint
  message: string
}

export interface ChainReport {
  chainId: string
  events: number
  firstSequence: bigint | null
  lastSequence: bigint | null
  lastHash: string
  checkpointsVerified: number
  /** True when the chain did not start at genesis or at a purge anchor (a slice). */
  partial: boolean
  problems: ChainProblem[]
}

export interface ChainVerifier {
  push(event: VerifiableEvent): void
  finish(): ChainReport
}

/**
 * Verify one chain, event by event in the order given (file order for an export): consecutive
 * sequence numbers, each event's hash recomputed from its canonical encoding, each previous_hash
 * equal to the hash before it, and every checkpoint signed by a trusted key and matching the
 * event at its sequence. A checkpoint beyond the last event means the tail was cut off.
 *
 * @param options.trustedKeys key id → raw Ed25519 public key (base64)
 * @param options.partial the events are a slice: the first one is taken as given
 */
export function createChainVerifier(options: {
  chainId: string
  checkpoints: readonly SignedCheckpoint[]
  trustedKeys: ReadonlyMap<string, string>
  anchor?: ChainAnchor
  partial?: boolean
}): ChainVerifier {
  const problems: ChainProblem[] = []
  const checkpointsBySequence = new Map<string, SignedCheckpoint[]>()
  let checkpointsVerified = 0
  for (const checkpoint of options.checkpoints) {
    const sigProblem = checkSignature(checkpoint, options.trustedKeys)
    if (sigProblem) {
      problems.push({ sequence: BigInt(checkpoint.sequence), message: sigProblem })
      continue
    }
    const list = checkpointsBySequence.get(checkpoint.sequence) ?? []
    list.push(checkpoint)
    checkpointsBySequence.set(checkpoint.sequence, list)
  }

  let expected = options.anchor ? BigInt(options.anchor.through_sequence) + 1n : 1n
  let previousHash = options.anchor ? options.anchor.through_hash : GENESIS_HASH
  let firstSequence: bigint | null = null
  let lastSequence: bigint | null = null
  let events = 0
  let broken = false

  if (options.anchor) {
    checkpointsVerified += matchCheckpoints(
      BigInt(options.anchor.through_sequence),
      options.anchor.through_hash,
    )
  } else if (!options.partial) {
    // A checkpoint of an empty chain states sequence 0 at the genesis hash.
    checkpointsVerified += matchCheckpoints(0n, GENESIS_HASH)
  }

  function matchCheckpoints(sequence: bigint, hash: string): number {
    const list = checkpointsBySequence.get(String(sequence))
    if (!list) return 0
    checkpointsBySequence.delete(String(sequence))
    let ok = 0
    for (const checkpoint of list) {
      if (checkpoint.hash === hash) ok += 1
      else
        problems.push({
          sequence,
          message: `checkpoint ${checkpoint.checkpoint_id} does not match the event at ${sequence}`,
        })
    }
    return ok
  }

  return {
    push(event) {
      events += 1
      const sequence = BigInt(event.sequence)
      if (firstSequence === null) {
        firstSequence = sequence
        if (options.partial) {
          expected = sequence
          previousHash = event.previous_hash
        }
      }
      if (broken) return
      if (event.chain_id !== options.chainId) {
        problems.push({
          sequence,
          message: `event ${event.audit_event_id} belongs to chain ${event.chain_id}`,
        })
        broken = true
        return
      }
      if (sequence !== expected) {
        problems.push({
          sequence: expected,
          message:
            sequence > expected
              ? `sequence ${expected} is missing (found ${sequence})`
              : `sequence ${sequence} is out of order (expected ${expected})`,
        })
        broken = true
        return
      }
      const { hash, ...fields } = event
      if (computeEventHash(fields) !== hash) {
        problems.push({ sequence, message: `event ${sequence} does not match its hash (altered)` })
        broken = true
        return
      }
      if (event.previous_hash !== previousHash) {
        problems.push({
          sequence,
          message: `event ${sequence} does not link to the event before it`,
        })
        broken = true
        return
      }
      checkpointsVerified += matchCheckpoints(sequence, hash)
      previousHash = hash
      lastSequence = sequence
      expected = sequence + 1n
    },
    finish() {
      if (!broken) {
        for (const [sequence, list] of checkpointsBySequence) {
          const seq = BigInt(sequence)
          const end = lastSequence ?? expected - 1n
          if (seq > end) {
            problems.push({
              sequence: end + 1n,
              message: `chain ends at ${end} but checkpoint ${list[0]!.checkpoint_id} covers ${seq}: events were removed from the end`,
            })
          } else if (!options.partial || (firstSequence !== null && seq >= firstSequence)) {
            problems.push({ sequence: seq, message: `checkpoint at ${seq} has no matching event` })
          }
        }
      }
      problems.sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0))
      return {
        chainId: options.chainId,
        events,
        firstSequence,
        lastSequence,
        lastHash: previousHash,
        checkpointsVerified,
        partial: options.partial ?? false,
        problems,
      }
    },
  }
}

function checkSignature(
  checkpoint: SignedCheckpoint,
  trustedKeys: ReadonlyMap<string, string>,
): string | undefined {
  const publicKey = trustedKeys.get(checkpoint.key_id)
  if (publicKey === undefined)
    return `checkpoint ${checkpoint.checkpoint_id} is signed by unknown key ${checkpoint.key_id}`
  const { signature, ...statement } = checkpoint
  const valid = verifyAuditSignature({
    publicKey,
    payload: checkpointStatement(statement),
    signature,
  })
  return valid ? undefined : `checkpoint ${checkpoint.checkpoint_id} has an invalid signature`
}
