import type { AuditAction, AuditContext, AuditLog, AuditedTx } from '../audit/index.js'
import { toIsoTimestamp, type Clock } from '../lib/clock.js'
import { InvalidRequestError } from '../lib/errors.js'
import { newLedgerId } from './billing-ids.js'
import { OrganizationNotFoundError } from '../organizations/index.js'
import { lockKeyForTransaction, type Db } from '../storage/index.js'
import type { BalanceBook } from './balance-book.js'
import type { BalanceHolds, HoldStrategy } from './balance-holds.js'
import {
  AlreadyVoidedError,
  BalanceLimitError,
  MAX_BALANCE_MICROS,
  ApprovalNotFoundError,
  ApprovalNotUsableError,
  ApprovalRequiredError,
  IdempotencyKeyReusedError,
  InsufficientBalanceError,
  InvoiceAlreadyAppliedError,
  LedgerEntryNotFoundError,
  NotRefundableError,
  NotVoidableError,
  RefundExceedsChargeError,
  SelfApprovalError,
} from './billing-errors.js'
import { detailsJsonOf, draftToRow, type EntryDraft } from './entry-draft.js'
import { buildInvoice, monthPeriod, type Invoice } from './invoice.js'
import {
  findAccountRow,
  findAccountRowsOf,
  findApprovalRow,
  findApprovalRows,
  findAuditEventIdFor,
  findBalanceBefore,
  findCorrectionsOf,
  findEntriesOfRequest,
  findEntryByIdempotencyKey,
  findEntryRow,
  findEntryRowsInPeriod,
  findEntryRowsPage,
  findInvoiceApplications,
  insertAccountIfAbsent,
  insertApprovalRow,
  insertEntries,
  lockAccountRows,
  rowToEntry,
  sumEntries,
  updateAccountRow,
  updateApprovalRow,
  useGrantedApproval,
  type BillingApprovalRow,
  type LedgerAccountRow,
  type LedgerEntryRow,
} from './ledger.repository.js'
import {
  COUNTER_ACCOUNTS,
  entryDiff,
  type BillingEnvironment,
  type CreditCategory,
  type LedgerAccount,
  type LedgerEntry,
  type LedgerEntryKind,
} from './ledger-entry.js'
import { sumMicros, type Micros } from './money.js'

/** Actions whose amount above the threshold needs a second admin's approval. */
export const APPROVABLE_ACTIONS = [
  'billing.credit',
  'billing.refund',
  'billing.manual_adjustment',
] as const satisfies readonly AuditAction[]
export type ApprovableAction = (typeof APPROVABLE_ACTIONS)[number]

const APPROVAL_TTL_MS = 24 * 60 * 60_000
const VOIDABLE: readonly LedgerEntryKind[] = ['credit', 'invoice_application', 'adjustment']

export interface LedgerServiceDeps {
  db: Db
  /** Resolves once balances are loaded (billing start). */
  ready: () => Promise<void>
  auditLog: AuditLog
  clock: Clock
  strategy: HoldStrategy
  book: BalanceBook
  holds: BalanceHolds
  currency: string
  /** Credits, refunds and adjustments above this many micros need an approval. */
  approvalThresholdMicros: Micros
  /** Hears each entry once it has committed (not a replay): the balance threshold monitor. */
  onPosted?: (entry: LedgerEntry) => void
}

/** Who runs an admin billing operation: the admin behind the session or token. */
export interface BillingActor {
  audit: AuditContext
  adminId: string
}

export interface CreditInput {
  organizationId: string
  environment: BillingEnvironment
  amountMicros: Micros
  category: CreditCategory
  /** When the unspent credit lapses (recorded; see docs/billing.md). */
  expiresAt?: string | null
  /** Set: the credit applies a paid invoice (kind `invoice_application`). */
  invoiceId?: string | null
  idempotencyKey: string
  approvalId?: string | null
}

export interface RefundInput {
  organizationId: string
  /** The original customer request. */
  requestId: string
  /** Its settlement's usage charge entry. */
  settlementEntryId: string
  amountMicros: Micros
  idempotencyKey: string
  approvalId?: string | null
}

export interface AdjustmentInput {
  organizationId: string
  environment: BillingEnvironment
  direction: 'credit' | 'debit'
  amountMicros: Micros
  idempotencyKey: string
  approvalId?: string | null
}

export interface BillingApproval {
  approvalId: string
  organizationId: string
  /** The prepaid account it may be used on (a refund's: the original charge's). */
  environment: BillingEnvironment
  action: ApprovableAction
  amountMicros: Micros
  status: 'pending' | 'granted' | 'used'
  requestedBy: string
  grantedBy: string | null
  grantedAt: string | null
  usedByEntryId: string | null
  expiresAt: string
  createdAt: string
}

function rowToApproval(row: BillingApprovalRow): BillingApproval {
  return {
    approvalId: row.approval_id,
    organizationId: row.organization_id,
    environment: row.environment as BillingEnvironment,
    action: row.action as ApprovableAction,
    amountMicros: row.amount_micros,
    status: row.status as BillingApproval['status'],
    requestedBy: row.requested_by,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
    usedByEntryId: row.used_by_entry_id,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}

/** What one admin posting is: the entry and everything checked around it. */
interface Posting {
  action: ApprovableAction | 'billing.void'
  organizationId: string
  environment: BillingEnvironment
  draft: EntryDraft
  approvalId: string | null
  /** Extra checks inside the transaction (refundable amount, not voided yet). */
  validate?: (tx: Db) => Promise<void> | void
  evidence?: Record<string, unknown>
}

/**
 * The ledger's admin side: credits, refunds, voids and adjustments, each one audited action in
 * the transaction that posts its entry; approvals for large amounts; balances, entries and
 * invoices. Holds and settlements (the request path) are in balance-holds.ts.
 */
export function createLedgerService(deps: LedgerServiceDeps) {
  const { db, auditLog, clock, book } = deps

  async function assertOrganization(reader: Db, organizationId: string) {
    const org = await reader
      .selectFrom('organizations')
      .select('organization_id')
      .where('organization_id', '=', organizationId)
      .executeTakeFirst()
    if (!org) throw new OrganizationNotFoundError(organizationId)
  }

  /** Same key, same operation: the stored entry. Same key, anything else: 409. */
  async function replayOf(posting: Posting): Promise<LedgerEntry | null> {
    const account = await findAccountRow(db, posting)
    if (!account) return null
    const existing = await findEntryByIdempotencyKey(db, {
      accountId: account.account_id,
      idempotencyKey: posting.draft.idempotencyKey,
    })
    if (!existing) return null
    if (!sameOperation(existing, posting)) throw new IdempotencyKeyReusedError()
    return rowToEntry(existing)
  }

  function requireApproval(posting: Posting) {
    if (posting.action === 'billing.void' || posting.approvalId) return
    const amount = posting.draft.amountMicros
    if ((amount < 0n ? -amount : amount) > deps.approvalThresholdMicros)
      throw new ApprovalRequiredError(deps.approvalThresholdMicros)
  }

  async function useApproval(
    tx: Db,
    spec: { posting: Posting; actor: BillingActor; entryId: string },
  ): Promise<string | null> {
    const { posting, actor } = spec
    if (!posting.approvalId) return null
    const row = await findApprovalRow(tx, posting.approvalId)
    if (!row) throw new ApprovalNotFoundError(posting.approvalId)
    const amount =
      posting.draft.amountMicros < 0n ? -posting.draft.amountMicros : posting.draft.amountMicros
    if (row.status !== 'granted')
      throw new ApprovalNotUsableError(
        `Approval '${row.approval_id}' is ${row.status}, not granted.`,
      )
    if (row.expires_at <= toIsoTimestamp(clock.nowMs()))
      throw new ApprovalNotUsableError(`Approval '${row.approval_id}' has expired.`)
    if (
      row.organization_id !== posting.organizationId ||
      row.environment !== posting.environment ||
      row.action !== posting.action ||
      row.amount_micros !== amount
    )
      throw new ApprovalNotUsableError(
        `Approval '${row.approval_id}' is for ${row.action} of ${row.amount_micros} micros on ${row.organization_id} (${row.environment}).`,
      )
    if (row.granted_by === actor.adminId) throw new SelfApprovalError()
    if (!(await useGrantedApproval(tx, { approvalId: row.approval_id, entryId: spec.entryId })))
      throw new ApprovalNotUsableError(`Approval '${row.approval_id}' is used, not granted.`)
    return findAuditEventIdFor(tx, {
      targetType: 'approval',
      targetId: row.approval_id,
      action: 'billing.approval_grant',
    })
  }

  /** Open (if needed) and lock the account inside the transaction. */
  async function lockedAccount(tx: Db, posting: Posting, nowMs: number): Promise<LedgerAccountRow> {
    const now = toIsoTimestamp(nowMs)
    await insertAccountIfAbsent(tx, {
      account_id: newLedgerId('acct', nowMs),
      organization_id: posting.organizationId,
      environment: posting.environment,
      currency: deps.currency,
      balance_micros: 0n,
      held_micros: 0n,
      version: 0n,
      created_at: now,
      updated_at: now,
    })
    const found = await findAccountRow(tx, posting)
    const [row] = await lockAccountRows(tx, [found!.account_id])
    return row!
  }

  async function post(actor: BillingActor, posting: Posting): Promise<LedgerEntry> {
    await deps.ready()
    const replay = await replayOf(posting)
    if (replay) return replay
    requireApproval(posting)
    const amount = posting.draft.amountMicros
    // Memory strategy: a debit is taken from the balance book before the transaction (and given
    // back if it fails), so no hold admitted meanwhile can count on the same money. Whether it
    // fit is reported inside the transaction, after the other checks, as with stored holds.
    let reservedIn: string | null = null
    let bookShortBy: Micros | null = null
    if (amount < 0n && deps.strategy === 'memory') {
      const accountId = book.findAccountId(posting.organizationId, posting.environment)
      if (accountId && book.tryReserve(accountId, -amount)) reservedIn = accountId
      else {
        const state = accountId ? book.get(accountId) : undefined
        bookShortBy = state ? state.balanceMicros - state.heldMicros : 0n
      }
    }
    try {
      const entry = await auditLog.run(actor.audit, posting.action, async (tx: AuditedTx) => {
        await assertOrganization(tx, posting.organizationId)
        const account = await lockedAccount(tx, posting, clock.nowMs())
        // Read under the account's lock (and SQLite's write lock): an account's entries are then
        // stamped in the order they commit, so a month's entries by time are its versions in
        // order, as the invoice's reconciliation expects.
        const nowMs = clock.nowMs()
        const raced = await findEntryByIdempotencyKey(tx, {
          accountId: account.account_id,
          idempotencyKey: posting.draft.idempotencyKey,
        })
        // A concurrent retry committed first: the same operation answers its entry (this
        // transaction, audit event included, rolls back); anything else under the key is 409.
        if (raced) {
          if (!sameOperation(raced, posting)) throw new IdempotencyKeyReusedError()
          throw new ReplayedPosting(rowToEntry(raced))
        }
        await posting.validate?.(tx)
        const entryId = newLedgerId('le', nowMs)
        const approvalEventId = await useApproval(tx, { posting, actor, entryId })
        if (bookShortBy !== null) throw new InsufficientBalanceError(bookShortBy, -amount)
        // Database strategy: open holds are in held_micros; a debit may only take what is free.
        const held = deps.strategy === 'database' ? account.held_micros : 0n
        if (amount < 0n && account.balance_micros - held < -amount)
          throw new InsufficientBalanceError(account.balance_micros - held, -amount)
        const balanceAfter = account.balance_micros + amount
        // BIGINT's range: a larger balance cannot be stored (and means a wrong amount).
        if (balanceAfter > MAX_BALANCE_MICROS) throw new BalanceLimitError(MAX_BALANCE_MICROS)
        const version = account.version + 1n
        const row = draftToRow(
          {
            ...posting.draft,
            adminRequestId: actor.audit.requestId,
            approvalId: posting.approvalId,
          },
          {
            entryId,
            accountId: account.account_id,
            organizationId: posting.organizationId,
            environment: posting.environment,
            balanceAfterMicros: balanceAfter,
            accountVersion: version,
            createdAt: toIsoTimestamp(nowMs),
          },
        )
        await updateAccountRow(tx, {
          accountId: account.account_id,
          balanceMicros: balanceAfter,
          heldMicros: account.held_micros,
          version,
          now: toIsoTimestamp(nowMs),
        })
        await insertEntries(tx, [row])
        const entry = rowToEntry(row as LedgerEntryRow)
        return {
          result: entry,
          event: {
            organizationId: posting.organizationId,
            target: { type: 'ledger_entry', id: entryId, label: entry.kind },
            before: { balanceAfterMicros: account.balance_micros },
            after: { ...entryDiff(entry), currency: account.currency },
            evidence: {
              entryId,
              idempotencyKey: entry.idempotencyKey,
              ...(entry.requestId ? { requestId: entry.requestId } : {}),
              ...(entry.originalEntryId ? { originalEntryId: entry.originalEntryId } : {}),
              ...(posting.approvalId ? { approvalId: posting.approvalId, approvalEventId } : {}),
              ...posting.evidence,
            },
          },
        }
      })
      if (reservedIn) {
        book.unreserve(reservedIn, -amount)
        book.applyDebit(reservedIn, -amount)
        reservedIn = null
      } else if (deps.strategy === 'memory' && amount > 0n) {
        book.applyCommitted(entry)
      }
      deps.onPosted?.(entry)
      return entry
    } catch (err) {
      if (err instanceof ReplayedPosting) return err.entry
      // Two first postings under one key raced past the checks: the unique index decided.
      if (isUniqueViolation(err)) {
        const replay = await replayOf(posting)
        if (replay) return replay
      }
      throw err
    } finally {
      if (reservedIn) book.unreserve(reservedIn, -amount)
    }
  }

  /** A paid invoice goes on the balance once: refused while an application of it stands. */
  async function assertInvoiceNotApplied(
    tx: Db,
    organizationId: string,
    details: { invoiceId: string },
  ): Promise<void> {
    // The account's lock covers one account; this covers an application to the other one.
    await lockKeyForTransaction(tx, `invoice:${organizationId}:${details.invoiceId}`)
    const applications = await findInvoiceApplications(tx, {
      organizationId,
      detailsJson: detailsJsonOf(details)!,
    })
    for (const application of applications) {
      const corrections = await findCorrectionsOf(tx, application.entry_id)
      if (!corrections.some((c) => c.kind === 'void'))
        throw new InvoiceAlreadyAppliedError(details.invoiceId, application.entry_id)
    }
  }

  async function mustFindEntry(entryId: string, reader: Db = db): Promise<LedgerEntryRow> {
    const row = await findEntryRow(reader, entryId)
    if (!row) throw new LedgerEntryNotFoundError(entryId)
    return row
  }

  async function accountsOf(organizationId: string): Promise<LedgerAccount[]> {
    const rows = await findAccountRowsOf(db, organizationId)
    return Promise.all(
      rows.map(async (row) => {
        const held = await deps.holds.heldOn(row.account_id)
        return {
          accountId: row.account_id,
          organizationId: row.organization_id,
          environment: row.environment as BillingEnvironment,
          currency: row.currency,
          balanceMicros: row.balance_micros,
          heldMicros: held,
          availableMicros: row.balance_micros - held,
          version: row.version,
        }
      }),
    )
  }

  return {
    currency: deps.currency,
    approvalThresholdMicros: deps.approvalThresholdMicros,

    /** The organization's accounts (live and test); an environment never credited shows zero. */
    balance: async (organizationId: string) => {
      await assertOrganization(db, organizationId)
      return {
        object: 'balance' as const,
        organizationId,
        currency: deps.currency,
        accounts: await accountsOf(organizationId),
      }
    },

    listEntries: async (page: {
      organizationId: string
      environment?: BillingEnvironment
      kind?: LedgerEntryKind
      requestId?: string
      before?: string
      limit: number
    }): Promise<LedgerEntry[]> => {
      await assertOrganization(db, page.organizationId)
      return (
        await findEntryRowsPage(db, {
          organizationId: page.organizationId,
          ...(page.environment ? { environment: page.environment } : {}),
          ...(page.kind ? { kind: page.kind } : {}),
          ...(page.requestId ? { requestId: page.requestId } : {}),
          ...(page.before ? { beforeId: page.before } : {}),
          limit: page.limit,
        })
      ).map(rowToEntry)
    },

    /**
     * One entry with its links: the audit event that caused it (admin entries), the entry it
     * corrects, the entries that correct it, and every entry of the same customer request.
     */
    getEntry: async (entryId: string) => {
      const row = await mustFindEntry(entryId)
      const entry = rowToEntry(row)
      const action = ACTION_OF_KIND[entry.kind]
      return {
        ...entry,
        auditEventId: action
          ? await findAuditEventIdFor(db, { targetType: 'ledger_entry', targetId: entryId, action })
          : null,
        corrections: (await findCorrectionsOf(db, entryId)).map(rowToEntry),
        requestEntries: entry.requestId
          ? (await findEntriesOfRequest(db, entry.requestId)).map(rowToEntry)
          : [],
      }
    },

    /** Add credit (a top-up, a promotional grant, or a paid invoice applied to the balance). */
    credit: (actor: BillingActor, input: CreditInput) => {
      const details = input.invoiceId ? { invoiceId: input.invoiceId } : null
      return post(actor, {
        action: 'billing.credit',
        organizationId: input.organizationId,
        environment: input.environment,
        approvalId: input.approvalId ?? null,
        draft: {
          kind: input.invoiceId ? 'invoice_application' : 'credit',
          amountMicros: input.amountMicros,
          counterAccount: input.invoiceId
            ? COUNTER_ACCOUNTS.invoices
            : input.category === 'promotional'
              ? COUNTER_ACCOUNTS.promotions
              : COUNTER_ACCOUNTS.funding,
          category: input.category,
          expiresAt: input.expiresAt ?? null,
          idempotencyKey: input.idempotencyKey,
          details,
        },
        // After the replay check: a retry of a credit whose expiry has since passed still
        // answers the credit it posted, and a retry of an invoice application is not a second
        // application. Under the account's lock and the invoice's own, so two keys applying one
        // invoice, to one account or to both, cannot both pass.
        validate: async (tx) => {
          if (input.expiresAt && input.expiresAt <= toIsoTimestamp(clock.nowMs()))
            throw new InvalidRequestError('expiresAt must be in the future.', {
              param: 'expiresAt',
              code: 'expiry_in_past',
            })
          if (input.invoiceId) await assertInvoiceNotApplied(tx, input.organizationId, details!)
        },
      })
    },

    /**
     * Refund (part of) a settled usage charge. Cites the original request and its settlement
     * entry; never more than was charged minus what was already refunded.
     */
    refund: async (actor: BillingActor, input: RefundInput) => {
      const original = await findEntryRow(db, input.settlementEntryId)
      if (original?.organization_id !== input.organizationId)
        throw new LedgerEntryNotFoundError(input.settlementEntryId, 'settlementEntryId')
      return post(actor, {
        action: 'billing.refund',
        organizationId: input.organizationId,
        environment: original.environment as BillingEnvironment,
        approvalId: input.approvalId ?? null,
        draft: {
          kind: 'refund',
          amountMicros: input.amountMicros,
          counterAccount: COUNTER_ACCOUNTS.refunds,
          idempotencyKey: input.idempotencyKey,
          requestId: input.requestId,
          originalEntryId: original.entry_id,
          modelServed: original.model_served,
        },
        evidence: { settlementEntryId: original.entry_id },
        validate: async (tx) => {
          if (original.kind !== 'usage_charge')
            throw new NotRefundableError(
              `Only usage charges are refunded; '${original.entry_id}' is a ${original.kind}.`,
            )
          if (original.request_id !== input.requestId)
            throw new NotRefundableError(
              `Settlement entry '${original.entry_id}' belongs to another request.`,
            )
          const refunded = sumMicros(
            (await findCorrectionsOf(tx, original.entry_id))
              .filter((c) => c.kind === 'refund')
              .map((c) => c.amount_micros),
          )
          const refundable = -original.amount_micros - refunded
          if (input.amountMicros > refundable)
            throw new RefundExceedsChargeError(refundable > 0n ? refundable : 0n)
        },
      })
    },

    /** Reverse a credit, invoice application or adjustment by reference (a new entry). */
    void: async (actor: BillingActor, input: { entryId: string; idempotencyKey: string }) => {
      const original = await mustFindEntry(input.entryId)
      const kind = original.kind as LedgerEntryKind
      return post(actor, {
        action: 'billing.void',
        organizationId: original.organization_id,
        environment: original.environment as BillingEnvironment,
        approvalId: null,
        draft: {
          kind: 'void',
          amountMicros: -original.amount_micros,
          counterAccount: original.counter_account,
          category: original.category as CreditCategory | null,
          idempotencyKey: input.idempotencyKey,
          originalEntryId: original.entry_id,
        },
        validate: async (tx) => {
          if (!VOIDABLE.includes(kind)) throw new NotVoidableError(kind)
          const corrections = await findCorrectionsOf(tx, original.entry_id)
          if (corrections.some((c) => c.kind === 'void'))
            throw new AlreadyVoidedError(original.entry_id)
          if (corrections.some((c) => c.kind === 'credit_expiry'))
            throw new NotVoidableError(kind, 'This credit has expired; what was left of it lapsed.')
        },
      })
    },

    /** A manual credit or debit (a debit never takes more than is available). */
    adjust: (actor: BillingActor, input: AdjustmentInput) =>
      post(actor, {
        action: 'billing.manual_adjustment',
        organizationId: input.organizationId,
        environment: input.environment,
        approvalId: input.approvalId ?? null,
        draft: {
          kind: 'adjustment',
          amountMicros: input.direction === 'credit' ? input.amountMicros : -input.amountMicros,
          counterAccount: COUNTER_ACCOUNTS.adjustments,
          idempotencyKey: input.idempotencyKey,
        },
      }),

    /** Ask for a second admin's approval of a large credit, refund or adjustment. */
    requestApproval: (
      actor: BillingActor,
      input: {
        organizationId: string
        environment: BillingEnvironment
        action: ApprovableAction
        amountMicros: Micros
      },
    ): Promise<BillingApproval> =>
      auditLog.run(actor.audit, 'billing.approval_request', async (tx) => {
        await assertOrganization(tx, input.organizationId)
        const nowMs = clock.nowMs()
        const row: BillingApprovalRow = {
          approval_id: newLedgerId('apr', nowMs),
          organization_id: input.organizationId,
          environment: input.environment,
          action: input.action,
          amount_micros: input.amountMicros,
          status: 'pending',
          requested_by: actor.adminId,
          granted_by: null,
          granted_at: null,
          used_by_entry_id: null,
          expires_at: toIsoTimestamp(nowMs + APPROVAL_TTL_MS),
          created_at: toIsoTimestamp(nowMs),
        }
        await insertApprovalRow(tx, row)
        const approval = rowToApproval(row)
        return {
          result: approval,
          event: {
            organizationId: input.organizationId,
            target: { type: 'approval', id: row.approval_id, label: input.action },
            after: approvalDiff(approval),
          },
        }
      }),

    /** Grant an approval: only a second admin (not the requester) may. */
    grantApproval: (actor: BillingActor, approvalId: string): Promise<BillingApproval> =>
      auditLog.run(actor.audit, 'billing.approval_grant', async (tx) => {
        const row = await findApprovalRow(tx, approvalId)
        if (!row) throw new ApprovalNotFoundError(approvalId)
        if (row.requested_by === actor.adminId) throw new SelfApprovalError()
        const nowMs = clock.nowMs()
        if (row.status !== 'pending')
          throw new ApprovalNotUsableError(`Approval '${approvalId}' is already ${row.status}.`)
        if (row.expires_at <= toIsoTimestamp(nowMs))
          throw new ApprovalNotUsableError(`Approval '${approvalId}' has expired.`)
        const before = rowToApproval(row)
        const set = {
          status: 'granted',
          granted_by: actor.adminId,
          granted_at: toIsoTimestamp(nowMs),
        }
        await updateApprovalRow(tx, { approvalId, set })
        const after = rowToApproval({ ...row, ...set })
        return {
          result: after,
          event: {
            organizationId: row.organization_id,
            target: { type: 'approval', id: approvalId, label: row.action },
            before: approvalDiff(before),
            after: approvalDiff(after),
          },
        }
      }),

    /** Approvals in one state (`pending`: still grantable, waiting for a second admin). */
    listApprovals: async (query: {
      status: BillingApproval['status']
      organizationId?: string
      limit: number
    }): Promise<BillingApproval[]> =>
      (
        await findApprovalRows(db, {
          ...query,
          now: toIsoTimestamp(clock.nowMs()),
        })
      ).map(rowToApproval),

    getApproval: async (approvalId: string): Promise<BillingApproval> => {
      const row = await findApprovalRow(db, approvalId)
      if (!row) throw new ApprovalNotFoundError(approvalId)
      return rowToApproval(row)
    },

    /**
     * A month's invoice for one account, built from the ledger (opening + Σ lines = closing, to
     * the micro). Records `billing.invoice_export` before returning anything.
     */
    invoice: async (
      audit: AuditContext,
      input: {
        organizationId: string
        environment: BillingEnvironment
        month: string
        format: 'json' | 'csv'
      },
    ): Promise<Invoice> => {
      await assertOrganization(db, input.organizationId)
      const { from, to } = monthPeriod(input.month)
      // A month not begun has no ledger yet: an "invoice" of it would be today's balance under
      // a label that later means something else.
      if (from > toIsoTimestamp(clock.nowMs()))
        throw new InvalidRequestError(`The month ${input.month} has not started yet.`, {
          param: 'month',
          code: 'month_not_started',
        })
      const account = await findAccountRow(db, input)
      const entries = account
        ? (await findEntryRowsInPeriod(db, { accountId: account.account_id, from, to })).map(
            rowToEntry,
          )
        : []
      const opening = account
        ? await findBalanceBefore(db, { accountId: account.account_id, before: from })
        : 0n
      const invoice = buildInvoice({
        organizationId: input.organizationId,
        environment: input.environment,
        currency: account?.currency ?? deps.currency,
        month: input.month,
        openingBalanceMicros: opening,
        entries,
      })
      await auditLog.record(audit, {
        action: 'billing.invoice_export',
        organizationId: input.organizationId,
        target: {
          type: 'export',
          id: `invoice:${input.organizationId}:${input.environment}:${input.month}`,
        },
        after: {
          kind: 'invoice',
          period: input.month,
          format: input.format,
          rows: invoice.lines.length,
        },
      })
      return invoice
    },

    /** Reconciliation: the account's balance recomputed from its entries, and the stored one. */
    reconcile: async (organizationId: string, environment: BillingEnvironment) => {
      const account = await findAccountRow(db, { organizationId, environment })
      if (!account) return { balanceMicros: 0n, sumOfEntriesMicros: 0n, versions: 0n }
      return {
        balanceMicros: account.balance_micros,
        sumOfEntriesMicros: await sumEntries(db, account.account_id),
        versions: account.version,
      }
    },
  }
}

export type LedgerService = ReturnType<typeof createLedgerService>

const ACTION_OF_KIND: Partial<Record<LedgerEntryKind, AuditAction>> = {
  credit_expiry: 'billing.credit_expiry',
  credit: 'billing.credit',
  invoice_application: 'billing.credit',
  refund: 'billing.refund',
  void: 'billing.void',
  adjustment: 'billing.manual_adjustment',
}

function approvalDiff(approval: BillingApproval): Record<string, unknown> {
  return {
    action: approval.action,
    environment: approval.environment,
    amountMicros: approval.amountMicros,
    status: approval.status,
    requestedBy: approval.requestedBy,
    approvedBy: approval.grantedBy,
  }
}

/** Rolls an admin posting's transaction back when a concurrent identical retry won. */
class ReplayedPosting extends Error {
  constructor(readonly entry: LedgerEntry) {
    super('replayed posting')
  }
}

/** A unique-index violation, on either dialect (PostgreSQL 23505, SQLite's constraint code). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/** Whether a stored entry is the same operation as a retried draft (idempotent replay). */
function sameOperation(row: LedgerEntryRow, posting: Posting): boolean {
  const { draft } = posting
  return (
    row.kind === draft.kind &&
    row.amount_micros === draft.amountMicros &&
    (row.original_entry_id ?? null) === (draft.originalEntryId ?? null) &&
    (row.request_id ?? null) === (draft.requestId ?? null) &&
    (row.category ?? null) === (draft.category ?? null) &&
    row.counter_account === draft.counterAccount &&
    (row.expires_at ?? null) === (draft.expiresAt ?? null) &&
    (row.approval_id ?? null) === (posting.approvalId ?? null) &&
    invoiceIdOf(row.details_json) === ((draft.details?.invoiceId as string | undefined) ?? null)
  )
}

/** The invoice an `invoice_application` applied (kept in its details), else null. */
function invoiceIdOf(detailsJson: string | null): string | null {
  if (detailsJson === null) return null
  const invoiceId = (JSON.parse(detailsJson) as { invoiceId?: unknown }).invoiceId
  return typeof invoiceId === 'string' ? invoiceId : null
}
