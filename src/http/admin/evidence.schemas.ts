import { z } from 'zod'
import { EVIDENCE_FORMAT, EVIDENCE_LINKS } from '../../evidence/index.js'
import { isWellFormedRequestId } from '../../lib/ids.js'
import { AuditEventResponse } from './audit.schemas.js'
import { ApprovalResponse } from './billing.schemas.js'
import { UsageEventResponse } from './usage.schemas.js'
import { CountString, MicrosString, Timestamp } from './wire.schemas.js'

/** A request ID as the gateway accepts one (`x-request-id`): 1–128 printable characters. */
export const RequestIdParams = z.strictObject({
  requestId: z
    .string()
    .refine(
      isWellFormedRequestId,
      'must be a request ID: 1–128 of A-Z a-z 0-9 . _ : - starting with a letter or digit',
    ),
})

const Text = z.string().nullable()
const VersionStatus = z.enum(['found', 'implicit', 'missing'])

/** What settling a hold did (src/evidence/evidence-document.ts SettlementEvidence). */
const SettlementEvidence = z.object({
  holdId: Text,
  holdMicros: Text,
  chargedMicros: MicrosString,
  releasedMicros: Text,
  waivedMicros: Text,
  uncoveredMicros: Text,
  outcome: Text,
  rule: Text,
})

const LedgerEntryEvidence = z.object({
  entryId: z.string(),
  accountId: z.string(),
  organizationId: z.string(),
  environment: z.string(),
  kind: z.string(),
  amountMicros: MicrosString,
  balanceAfterMicros: MicrosString,
  accountVersion: CountString,
  counterAccount: z.string(),
  requestId: Text,
  adminRequestId: Text,
  originalEntryId: Text,
  approvalId: Text,
  modelServed: Text,
  details: z.unknown(),
  createdAt: Timestamp,
  settlement: SettlementEvidence.nullable(),
})

const HoldEvidence = z.object({
  holdId: z.string(),
  accountId: z.string(),
  requestId: z.string(),
  amountMicros: MicrosString,
  status: z.string(),
  expiresAt: Timestamp,
  createdAt: Timestamp,
  resolvedAt: Timestamp.nullable(),
})

const Stamp = { createdBy: Text, createdAt: Timestamp.nullable() }

/** Everything recorded about one request ID (src/evidence/evidence-document.ts). */
export const EvidenceResponse = z.object({
  object: z.literal('request_evidence'),
  format: z.literal(EVIDENCE_FORMAT),
  requestId: z.string(),
  generatedAt: Timestamp,
  organizationIds: z.array(z.string()),
  /** Every field of each usage event, money as decimal strings. */
  usageEvents: z.array(UsageEventResponse.omit({ object: true })),
  ledger: z.object({
    entries: z.array(LedgerEntryEvidence),
    holds: z.array(HoldEvidence),
    approvals: z.array(ApprovalResponse),
    totals: z.object({
      chargedMicros: MicrosString,
      waivedMicros: MicrosString,
      refundedMicros: MicrosString,
      netMicros: MicrosString,
    }),
  }),
  routePolicies: z.array(
    z.object({
      status: VersionStatus,
      scope: Text,
      version: z.string(),
      routePolicyId: Text,
      storedScope: Text,
      contentHash: Text,
      source: Text,
      ...Stamp,
      content: z.unknown(),
      note: Text,
    }),
  ),
  budgetPolicies: z.array(
    z.object({
      status: z.enum(['found', 'missing']),
      budgetPolicyId: z.string(),
      version: z.number().int().nullable(),
      organizationId: Text,
      keyId: Text,
      contentHash: Text,
      change: Text,
      ...Stamp,
      content: z.unknown(),
    }),
  ),
  priceTables: z.array(
    z.object({
      status: z.enum(['found', 'missing']),
      label: z.string(),
      scope: z.enum(['platform', 'organization']),
      organizationId: Text,
      version: z.number().int(),
      priceTableId: Text,
      contentHash: Text,
      note: Text,
      ...Stamp,
      content: z.unknown(),
    }),
  ),
  auditEvents: z.array(
    z.object({
      link: z.enum(EVIDENCE_LINKS),
      via: z.string(),
      /** The event as stored and exported: its hash can be recomputed. */
      event: AuditEventResponse.omit({ object: true }),
      proof: z.object({
        chainId: z.string(),
        sequence: CountString,
        previousHash: z.string(),
        hash: z.string(),
        status: z.enum(['checkpointed', 'pending_checkpoint']),
        checkpoint: z
          .object({
            checkpointId: z.string(),
            chainId: z.string(),
            sequence: CountString,
            hash: z.string(),
            createdAt: Timestamp,
            keyId: z.string(),
            signature: z.string(),
          })
          .nullable(),
      }),
    }),
  ),
})
