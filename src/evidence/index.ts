/**
 * Evidence for one request ID (DESIGN "Evidence"): its usage event(s), ledger entries, the
 * route, budget and price versions that decided it, the admin audit events that adjusted it
 * with their chain proofs, and the signed bundle `ferry audit verify` checks offline.
 * See docs/evidence.md.
 */
export {
  EVIDENCE_FORMAT,
  EVIDENCE_LINKS,
  type AuditEventEvidence,
  type BudgetPolicyEvidence,
  type ChainProof,
  type CheckpointEvidence,
  type EvidenceDocument,
  type EvidenceLink,
  type LedgerEntryEvidence,
  type PriceTableEvidence,
  type RoutePolicyEvidence,
  type SettlementEvidence,
} from './evidence-document.js'
export {
  EVIDENCE_BUNDLE_TYPE,
  isEvidenceBundle,
  signEvidenceBundle,
  verifyEvidenceBundle,
  type BundleEventStatus,
  type EvidenceBundle,
  type EvidenceBundleChain,
  type EvidenceBundleVerification,
} from './evidence-bundle.js'
export { RequestEvidenceNotFoundError } from './evidence-errors.js'
export {
  createEvidenceService,
  type EvidenceFormat,
  type EvidenceService,
  type EvidenceServiceDeps,
} from './evidence.service.js'
