import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { enqueueOutbox } from '../outbox/index.js'
import { scrubSecrets } from '../lib/redact.js'
import { takeWriteLock, type Db, type Tx } from '../storage/index.js'
import { categoryOf, isHighRisk, type AuditAction } from './audit-actions.js'
import { AuditWriteFailedError, InvalidReasonError, ReasonRequiredError } from './audit-errors.js'
import type { AuditContext, AuditEvent, AuditEventInput, AuditReason } from './audit-event.js'
import { advanceChainHead, insertAuditEvent, type AuditEventRow } from './audit.repository.js'
import { hashedFieldsOf, rowToAuditEvent, toAuditEventRecord, toJsonColumn } from './audit-row.js'
import { AUDIT_SCHEMA_VERSION, PLATFORM_CHAIN, computeEventHash } from './hash-chain.js'
import { redactDiff, scrubDeep } from './redact-diff.js'

declare const AUDITED: unique symbol

/**
 * A transaction handle that only `AuditLog.run` hands out. Services that change admin state take
 * an AuditedTx, so the only way to call them is inside a transaction that also writes the event.
 */
export type AuditedTx = Tx & { readonly [AUDITED]: true }

/** What an audited change returns: its result and the event that describes it. */
export interface Audited<T> {
  result: T
  event: Omit<AuditEventInput, 'action'>
}

export interface AuditLog {
  /**
   * Run `change` and append its audit event in one transaction: the change cannot commit without
   * its event, the event cannot exist without its change. A high-risk action without a reason
   * is refused before anything runs.
   */
  run<T>(
    context: AuditContext,
    action: AuditAction,
    change: (tx: AuditedTx) => Promise<Audited<T>>,
  ): Promise<T>
  /** Record an event that changes no state: a sensitive read, a denial, a failed login. */
  record(context: AuditContext, event: AuditEventInput): Promise<AuditEvent>
}

const REASON_CODE = /^[a-z][a-z0-9_]{2,63}$/
const MAX_REASON_NOTE = 500

export interface AuditLogDeps {
  db: Db
  clock: Clock
  /**
   * Enqueue every event in the webhook outbox, in the transaction that writes it (topic `audit`
   * enabled; decided once at start by `enabledOutboxTopics`). @default false
   */
  outbox?: boolean
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const outbox = deps.outbox ?? false
  return {
    run: async (context, action, change) => {
      const reason = checkReason(action, context.reason)
      return deps.db.transaction().execute(async (trx) => {
        await takeWriteLock(trx)
        const { result, event } = await change(trx as AuditedTx)
        await appendOrFail(trx, {
          context: { ...context, reason },
          event: { ...event, action },
          nowMs: deps.clock.nowMs(),
          outbox,
        })
        return result
      })
    },
    record: async (context, event) => {
      const reason = context.reason ? checkReason(event.action, context.reason) : null
      return deps.db.transaction().execute(async (trx) => {
        await takeWriteLock(trx)
        return appendOrFail(trx, {
          context: { ...context, reason },
          event,
          nowMs: deps.clock.nowMs(),
          outbox,
        })
      })
    },
  }
}

/** Validate the reason a request gave, and require one for a high-risk action. */
export function checkReason(
  action: AuditAction,
  reason: AuditReason | null | undefined,
): AuditReason | null {
  if (reason === null || reason === undefined) {
    if (isHighRisk(action)) throw new ReasonRequiredError(action)
    return null
  }
  if (!REASON_CODE.test(reason.code)) throw new InvalidReasonError()
  const note = reason.note ? scrubSecrets(reason.note).slice(0, MAX_REASON_NOTE) : null
  return { code: reason.code, note }
}

async function appendOrFail(tx: Tx, entry: AuditAppend): Promise<AuditEvent> {
  try {
    return await appendAuditEvent(tx, entry)
  } catch (err) {
    throw new AuditWriteFailedError(err)
  }
}

/** One event to append, with who made it and when. */
export interface AuditAppend {
  context: AuditContext
  event: AuditEventInput
  nowMs: number
  /** Also enqueue it for the webhook, in the same transaction. @default false */
  outbox?: boolean
}

/**
 * Append one event to its chain (the organization's, or the platform's) inside `tx`: redact the
 * diff, take the next sequence under the chain head's lock, hash over the canonical encoding.
 * With `outbox`, the stored event (as exports show it, hash included) is enqueued for the
 * webhook in the same transaction: no event without its delivery, no delivery without its event.
 */
export async function appendAuditEvent(tx: Tx, entry: AuditAppend): Promise<AuditEvent> {
  const { context, event } = entry
  const createdAt = toIsoTimestamp(entry.nowMs)
  const chainId = event.organizationId ?? PLATFORM_CHAIN
  const { sequence, previousHash } = await advanceChainHead(tx, { chainId, updatedAt: createdAt })
  const target = event.target
  const row: Omit<AuditEventRow, 'hash'> = {
    audit_event_id: newId('aud', entry.nowMs),
    chain_id: chainId,
    sequence,
    schema_version: AUDIT_SCHEMA_VERSION,
    organization_id: event.organizationId ?? null,
    actor_type: context.actor.type,
    actor_id: context.actor.id,
    actor_role: context.actor.role,
    actor_ip: context.ip,
    user_agent: context.userAgent ? scrubSecrets(context.userAgent).slice(0, 512) : null,
    impersonator_id: context.impersonatorId ?? null,
    support_session_id: context.supportSessionId ?? null,
    target_type: target?.type ?? null,
    target_id: target?.id ?? null,
    target_label: target?.label ? scrubSecrets(target.label) : null,
    action: event.action,
    category: categoryOf(event.action),
    outcome: event.outcome ?? 'success',
    before_json: target ? toJsonColumn(redactDiff(target.type, event.before)) : null,
    after_json: target ? toJsonColumn(redactDiff(target.type, event.after)) : null,
    reason_code: context.reason?.code ?? null,
    reason_note: context.reason?.note ?? null,
    request_id: context.requestId,
    policy_version: event.policyVersion ?? null,
    evidence_json: toJsonColumn(event.evidence ? scrubDeep(event.evidence) : null),
    created_at: createdAt,
    previous_hash: previousHash,
  }
  const hash = computeEventHash(hashedFieldsOf({ ...row, hash: '' }))
  const stored: AuditEventRow = { ...row, hash }
  await insertAuditEvent(tx, stored)
  if (entry.outbox) {
    await enqueueOutbox(
      tx,
      [{ topic: 'audit', eventId: stored.audit_event_id, payload: toAuditEventRecord(stored) }],
      { nowMs: entry.nowMs },
    )
  }
  return rowToAuditEvent(stored)
}
