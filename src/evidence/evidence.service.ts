import { createHash } from 'node:crypto'
import {
  canonicalJson,
  toAuditEventRecord,
  type AuditContext,
  type AuditLog,
  type AuditSigner,
  type SignedCheckpoint,
} from '../audit/index.js'
import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import { findUsageEventsOfRequest } from '../usage/index.js'
import {
  signEvidenceBundle,
  type EvidenceBundle,
  type EvidenceBundleChain,
} from './evidence-bundle.js'
import {
  EVIDENCE_FORMAT,
  approvalEvidence,
  budgetPolicyEvidence,
  chainProof,
  entryEvidence,
  holdEvidence,
  ledgerTotals,
  linkOfAction,
  priceTableEvidence,
  priceTableRefs,
  routePolicyEvidence,
  usageEventEvidence,
  type AuditEventEvidence,
  type EvidenceDocument,
  type EvidenceLink,
  type PriceTableEvidence,
} from './evidence-document.js'
import {
  EvidenceOutsideOrganizationError,
  RequestEvidenceNotFoundError,
} from './evidence-errors.js'
import {
  findApprovalRows,
  findAuditRowsByTargets,
  findBudgetPolicyRow,
  findChainSegment,
  findCoveringCheckpoint,
  findEntryRowsOfRequest,
  findHoldRows,
  findPriceTableRow,
  findRoutePolicyRow,
  findSystemAuditRowsOfRequest,
  type EvidenceAuditRow,
} from './evidence.repository.js'

/** How a reader asked for the evidence (recorded in its audit event). */
export type EvidenceFormat = 'json' | 'text'

export interface EvidenceServiceDeps {
  db: Db
  clock: Clock
  auditLog: AuditLog
  /** The audit signing key: bundles are signed like checkpoints and export manifests. */
  signer: AuditSigner
}

export interface EvidenceService {
  /**
   * Everything recorded under a request ID, without recording the read (tests, other services).
   * Null when nothing is known of it.
   */
  gather(requestId: string): Promise<EvidenceDocument | null>
  /**
   * The evidence document; records `evidence.view`. 404 when nothing is known of the request;
   * with `organizationId` (a support session's), 403 when the request is of another one.
   */
  getEvidence(
    audit: AuditContext,
    requestId: string,
    options?: { format?: EvidenceFormat; organizationId?: string },
  ): Promise<EvidenceDocument>
  /** The evidence as a signed bundle `ferry audit verify` checks offline; records `evidence.export`. */
  exportBundle(audit: AuditContext, requestId: string): Promise<EvidenceBundle>
}

const unique = <T>(values: Iterable<T | null | undefined>): T[] => [
  ...new Set([...values].filter((v): v is T => v !== null && v !== undefined)),
]

/**
 * Evidence for a request ID (DESIGN "Evidence"): request → usage event(s) → ledger entries →
 * route, budget and price versions → the admin events that adjusted it → their place in the
 * signed audit chain. Only links of this request are followed, so nothing of another request
 * is in the document.
 */
export function createEvidenceService(deps: EvidenceServiceDeps): EvidenceService {
  const { db, clock, auditLog, signer } = deps

  async function linkedAuditEvents(spec: {
    requestId: string
    entryIds: string[]
    approvalIds: string[]
    organizationIds: string[]
  }): Promise<AuditEventEvidence[]> {
    const found = new Map<string, { row: EvidenceAuditRow; link: EvidenceLink; via: string }>()
    const add = (row: EvidenceAuditRow, via: string) => {
      const link = linkOfAction(row.action)
      if (link !== null && !found.has(row.audit_event_id))
        found.set(row.audit_event_id, { row, link, via })
    }
    for (const row of await findAuditRowsByTargets(db, {
      targetType: 'ledger_entry',
      targetIds: spec.entryIds,
    }))
      add(row, `ledger entry ${row.target_id}`)
    for (const row of await findAuditRowsByTargets(db, {
      targetType: 'approval',
      targetIds: spec.approvalIds,
    }))
      add(row, `approval ${row.target_id}`)
    for (const row of await findSystemAuditRowsOfRequest(db, {
      requestId: spec.requestId,
      action: 'budget.threshold_crossed',
      organizationIds: spec.organizationIds,
    })) {
      const cited = (JSON.parse(row.evidence_json ?? 'null') as { requestIds?: unknown } | null)
        ?.requestIds
      if (Array.isArray(cited) && cited.includes(spec.requestId))
        add(row, `request ${spec.requestId}`)
    }
    const ordered = [...found.values()].sort((a, b) =>
      a.row.created_at === b.row.created_at
        ? a.row.audit_event_id < b.row.audit_event_id
          ? -1
          : 1
        : a.row.created_at < b.row.created_at
          ? -1
          : 1,
    )
    return Promise.all(
      ordered.map(async ({ row, link, via }) => {
        const event = toAuditEventRecord(row)
        const checkpoint = await findCoveringCheckpoint(db, {
          chainId: row.chain_id,
          sequence: BigInt(row.sequence),
        })
        return { link, via, event, proof: chainProof(event, checkpoint) }
      }),
    )
  }

  async function gather(requestId: string): Promise<EvidenceDocument | null> {
    const usage = await findUsageEventsOfRequest(db, requestId)
    const entries = await findEntryRowsOfRequest(db, requestId)
    if (usage.length === 0 && entries.length === 0) return null
    const organizationIds = unique([
      ...usage.map((u) => u.organizationId),
      ...entries.map((e) => e.organization_id),
    ]).sort()
    const approvalIds = unique(entries.map((e) => e.approval_id))

    const routeRefs = new Map<string, { scope: string | null; version: string }>()
    for (const u of usage)
      if (u.routePolicyVersion !== null)
        routeRefs.set(`${u.routePolicyScope}@${u.routePolicyVersion}`, {
          scope: u.routePolicyScope,
          version: u.routePolicyVersion,
        })
    const routePolicies = await Promise.all(
      [...routeRefs.values()].map(async (ref) =>
        routePolicyEvidence(
          ref,
          ref.version === '0' || !/^\d+$/.test(ref.version)
            ? undefined
            : await findRoutePolicyRow(db, BigInt(ref.version)),
        ),
      ),
    )
    const budgetPolicies = await Promise.all(
      unique(usage.map((u) => u.budgetPolicyId)).map(async (id) =>
        budgetPolicyEvidence(id, await findBudgetPolicyRow(db, id)),
      ),
    )
    const priceTables: PriceTableEvidence[] = []
    const seenPrices = new Set<string>()
    for (const label of unique(usage.map((u) => u.priceTableVersion)))
      for (const ref of priceTableRefs(label)) {
        if (seenPrices.has(`${ref.scope}@${ref.version}`)) continue
        seenPrices.add(`${ref.scope}@${ref.version}`)
        const row = await findPriceTableRow(db, {
          scope: ref.scope,
          version: BigInt(ref.version),
        })
        priceTables.push(priceTableEvidence({ ...ref, label }, row))
      }

    return {
      object: 'request_evidence',
      format: EVIDENCE_FORMAT,
      requestId,
      generatedAt: toIsoTimestamp(clock.nowMs()),
      organizationIds,
      usageEvents: usage.map(usageEventEvidence),
      ledger: {
        entries: entries.map(entryEvidence),
        holds: (await findHoldRows(db, unique(entries.map((e) => e.hold_id)))).map(holdEvidence),
        approvals: (await findApprovalRows(db, approvalIds)).map(approvalEvidence),
        totals: ledgerTotals(entries),
      },
      routePolicies,
      budgetPolicies,
      priceTables,
      auditEvents: await linkedAuditEvents({
        requestId,
        entryIds: entries.map((e) => e.entry_id),
        approvalIds,
        organizationIds,
      }),
    }
  }

  async function mustGather(requestId: string, organizationId?: string): Promise<EvidenceDocument> {
    const document = await gather(requestId)
    if (document === null) throw new RequestEvidenceNotFoundError(requestId)
    if (
      organizationId !== undefined &&
      document.organizationIds.some((id) => id !== organizationId)
    )
      throw new EvidenceOutsideOrganizationError(requestId, organizationId)
    return document
  }

  /** The read's own event: on the organization's chain when the request has one organization. */
  function recordRead(
    audit: AuditContext,
    spec: {
      action: 'evidence.view' | 'evidence.export'
      document: EvidenceDocument
      after: Record<string, unknown>
    },
  ) {
    const { document } = spec
    return auditLog.record(audit, {
      action: spec.action,
      organizationId: document.organizationIds.length === 1 ? document.organizationIds[0] : null,
      target: { type: 'request', id: document.requestId, label: null },
      after: {
        requestId: document.requestId,
        usageEvents: document.usageEvents.length,
        ledgerEntries: document.ledger.entries.length,
        auditEvents: document.auditEvents.length,
        ...spec.after,
      },
    })
  }

  /** Each cited chain from its first cited event to the last checkpoint covering one. */
  async function chainSegments(document: EvidenceDocument): Promise<EvidenceBundleChain[]> {
    const chains: EvidenceBundleChain[] = []
    for (const chainId of unique(document.auditEvents.map((e) => e.event.chain_id)).sort()) {
      const cited = document.auditEvents.filter((e) => e.event.chain_id === chainId)
      const checkpoints = new Map<string, SignedCheckpoint>()
      for (const { proof } of cited)
        if (proof.checkpoint)
          checkpoints.set(proof.checkpoint.checkpointId, {
            checkpoint_id: proof.checkpoint.checkpointId,
            chain_id: proof.checkpoint.chainId,
            sequence: proof.checkpoint.sequence,
            hash: proof.checkpoint.hash,
            created_at: proof.checkpoint.createdAt,
            key_id: proof.checkpoint.keyId,
            signature: proof.checkpoint.signature,
          })
      const sequences = [
        ...cited.map((e) => BigInt(e.event.sequence)),
        ...[...checkpoints.values()].map((c) => BigInt(c.sequence)),
      ]
      const min = (a: bigint, b: bigint) => (a < b ? a : b)
      const max = (a: bigint, b: bigint) => (a > b ? a : b)
      const rows = await findChainSegment(db, {
        chainId,
        fromSequence: cited.map((e) => BigInt(e.event.sequence)).reduce(min),
        toSequence: sequences.reduce(max),
      })
      chains.push({
        chain_id: chainId,
        events: rows.map(toAuditEventRecord),
        checkpoints: [...checkpoints.values()].sort((a, b) =>
          BigInt(a.sequence) < BigInt(b.sequence) ? -1 : 1,
        ),
      })
    }
    return chains
  }

  return {
    gather,

    getEvidence: async (audit, requestId, options = {}) => {
      const document = await mustGather(requestId, options.organizationId)
      await recordRead(audit, {
        action: 'evidence.view',
        document,
        after: { format: options.format ?? 'json' },
      })
      return document
    },

    exportBundle: async (audit, requestId) => {
      const document = await mustGather(requestId)
      const bundle = signEvidenceBundle({
        evidence: document,
        chains: await chainSegments(document),
        generatedAt: document.generatedAt,
        signer,
      })
      await recordRead(audit, {
        action: 'evidence.export',
        document,
        after: {
          format: 'bundle',
          keyId: bundle.key_id,
          sha256: createHash('sha256').update(canonicalJson(bundle)).digest('hex'),
        },
      })
      return bundle
    },
  }
}
