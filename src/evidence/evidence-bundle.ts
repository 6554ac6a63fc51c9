import {
  canonicalJson,
  computeEventHash,
  createChainVerifier,
  keyIdOfBase64,
  verifyAuditSignature,
  type AuditEventRecord,
  type AuditSigner,
  type ChainReport,
  type SignedCheckpoint,
} from '../audit/index.js'
import type { AuditEventEvidence, EvidenceDocument } from './evidence-document.js'

export const EVIDENCE_BUNDLE_TYPE = 'ferry.evidence.bundle.v1'

/**
 * One audit chain's part of a bundle: the contiguous events from the first cited event to the
 * last checkpoint that covers a cited event (so each checkpoint's head hash can be recomputed
 * from the cited event onwards), and those checkpoints.
 */
export interface EvidenceBundleChain {
  chain_id: string
  events: AuditEventRecord[]
  checkpoints: SignedCheckpoint[]
}

/**
 * A signed, self-contained evidence file: the evidence document, the chain segments that hold
 * its audit events, their signed checkpoints, and the signer's key. The Ed25519 signature (the
 * audit signing key) is over the canonical JSON of everything but `public_key` and `signature`.
 */
export interface EvidenceBundle {
  type: typeof EVIDENCE_BUNDLE_TYPE
  generated_at: string
  evidence: EvidenceDocument
  chains: EvidenceBundleChain[]
  key_id: string
  public_key: string
  signature: string
}

/** What the signature covers. */
export function bundleStatement(bundle: Omit<EvidenceBundle, 'signature'>) {
  const { public_key: _publicKey, ...statement } = bundle
  return statement
}

export function signEvidenceBundle(input: {
  evidence: EvidenceDocument
  chains: EvidenceBundleChain[]
  generatedAt: string
  signer: AuditSigner
}): EvidenceBundle {
  const unsigned: Omit<EvidenceBundle, 'signature'> = {
    type: EVIDENCE_BUNDLE_TYPE,
    generated_at: input.generatedAt,
    evidence: input.evidence,
    chains: input.chains,
    key_id: input.signer.keyId,
    public_key: input.signer.publicKey,
  }
  return { ...unsigned, signature: input.signer.sign(bundleStatement(unsigned)) }
}

/** Whether a parsed file is an evidence bundle (and not, say, an audit export). */
export function isEvidenceBundle(value: unknown): value is EvidenceBundle {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === EVIDENCE_BUNDLE_TYPE
  )
}

/**
 * `verified`: the hash, the chain from it to a signed checkpoint and that checkpoint's
 * signature all check out. `hash_only`: no checkpoint covered it when the bundle was made, so
 * only its hash (and the signature of the bundle) vouch for it. `failed`: something did not.
 */
export type BundleEventStatus = 'verified' | 'hash_only' | 'failed'

export interface EvidenceBundleVerification {
  ok: boolean
  requestId: string | null
  keyId: string | null
  problems: string[]
  warnings: string[]
  events: {
    auditEventId: string
    action: string
    chainId: string
    sequence: string
    status: BundleEventStatus
  }[]
  chains: ChainReport[]
}

/**
 * Verify a bundle offline: its signature by a trusted key (pinned, or the embedded one with a
 * warning), each chain segment (consecutive sequences, hashes recomputed from the canonical
 * form, links, checkpoint signatures and head hashes), and each audit event of the evidence:
 * its own hash, its copy in the segment, its proof and the checkpoint the proof cites.
 */
export function verifyEvidenceBundle(
  bundle: EvidenceBundle,
  options: { trustedKeys?: readonly string[] } = {},
): EvidenceBundleVerification {
  const problems: string[] = []
  const warnings: string[] = []
  const trusted = new Map<string, string>()
  for (const key of options.trustedKeys ?? []) trusted.set(keyIdOfBase64(key), key)
  if (trusted.size === 0 && typeof bundle.public_key === 'string') {
    warnings.push(
      `no public key pinned: trusting the key embedded in the bundle (${bundle.key_id})`,
    )
    trusted.set(keyIdOfBase64(bundle.public_key), bundle.public_key)
  }
  const publicKey = trusted.get(bundle.key_id)
  const { signature, ...unsigned } = bundle
  if (publicKey === undefined) problems.push(`the bundle is signed by unknown key ${bundle.key_id}`)
  else if (!verifyAuditSignature({ publicKey, payload: bundleStatement(unsigned), signature }))
    problems.push(
      'the bundle signature is invalid: its evidence, events or checkpoints were changed after it was signed',
    )

  const chains = Array.isArray(bundle.chains) ? bundle.chains : []
  const reports: ChainReport[] = []
  const segments = new Map<string, Map<string, AuditEventRecord>>()
  for (const chain of chains) {
    const byId = new Map(chain.events.map((e) => [e.audit_event_id, e]))
    segments.set(chain.chain_id, byId)
    const verifier = createChainVerifier({
      chainId: chain.chain_id,
      checkpoints: chain.checkpoints,
      trustedKeys: trusted,
      partial: true,
    })
    for (const event of chain.events) verifier.push(event)
    const report = verifier.finish()
    reports.push(report)
    const bySequence = new Map(chain.events.map((e) => [e.sequence, e]))
    for (const problem of report.problems) {
      const at = bySequence.get(String(problem.sequence))
      const named = at ? ` (audit event ${at.audit_event_id}, ${at.action})` : ''
      problems.push(
        `chain ${chain.chain_id}, sequence ${problem.sequence}${named}: ${problem.message}`,
      )
    }
  }

  const cited = bundle.evidence?.auditEvents ?? []
  const events = cited.map((item) => {
    const eventProblems = checkCitedEvent(item, {
      segment: segments.get(item.event.chain_id),
      chain: chains.find((c) => c.chain_id === item.event.chain_id),
    })
    problems.push(...eventProblems)
    const chainOk =
      reports.find((r) => r.chainId === item.event.chain_id)?.problems.length === 0 ||
      !segments.has(item.event.chain_id)
    const status: BundleEventStatus =
      eventProblems.length > 0 || !chainOk
        ? 'failed'
        : item.proof.checkpoint === null
          ? 'hash_only'
          : 'verified'
    if (status === 'hash_only')
      warnings.push(
        `audit event ${item.event.audit_event_id} (${item.event.action}) is not yet covered by a signed checkpoint: its hash and the bundle signature vouch for it, no checkpoint does`,
      )
    return {
      auditEventId: item.event.audit_event_id,
      action: item.event.action,
      chainId: item.event.chain_id,
      sequence: item.event.sequence,
      status,
    }
  })

  return {
    ok: problems.length === 0,
    requestId: bundle.evidence?.requestId ?? null,
    keyId: bundle.key_id ?? null,
    problems,
    warnings,
    events,
    chains: reports,
  }
}

function checkCitedEvent(
  item: AuditEventEvidence,
  context: { segment: Map<string, AuditEventRecord> | undefined; chain?: EvidenceBundleChain },
): string[] {
  const { event, proof } = item
  const name = `audit event ${event.audit_event_id} (${event.action}, chain ${event.chain_id}, sequence ${event.sequence})`
  const problems: string[] = []
  const { hash, ...fields } = event
  if (computeEventHash(fields) !== hash)
    problems.push(`${name} does not match its hash: it was altered`)
  const copy = context.segment?.get(event.audit_event_id)
  if (!copy) problems.push(`${name} is not in the bundle's chain segment`)
  else if (canonicalJson(copy) !== canonicalJson(event))
    problems.push(`${name} differs from its copy in the chain segment`)
  if (
    proof.chainId !== event.chain_id ||
    proof.sequence !== event.sequence ||
    proof.hash !== event.hash ||
    proof.previousHash !== event.previous_hash
  )
    problems.push(`${name}: its chain proof does not name this event`)
  const cited = proof.checkpoint
  if (cited !== null) {
    const included = context.chain?.checkpoints.find((c) => c.checkpoint_id === cited.checkpointId)
    if (
      !included ||
      included.sequence !== cited.sequence ||
      included.hash !== cited.hash ||
      included.signature !== cited.signature ||
      included.key_id !== cited.keyId
    )
      problems.push(
        `${name}: the checkpoint ${cited.checkpointId} its proof cites is not in the bundle`,
      )
    else if (BigInt(cited.sequence) < BigInt(event.sequence))
      problems.push(`${name}: checkpoint ${cited.checkpointId} is older than the event`)
  }
  return problems
}
