import { FerryError, NotFoundError } from '../lib/errors.js'
import { ConflictError } from '../organizations/index.js'

/**
 * 429 `insufficient_quota`: the request cannot be covered by the organization's balance. OpenAI's
 * status, type, code and wording; `x-should-retry: false` so SDKs fail fast instead of retrying
 * a request that cannot succeed until someone adds credit. Nothing was charged.
 */
export class InsufficientQuotaError extends FerryError {
  constructor() {
    super(
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      {
        status: 429,
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        headers: { 'x-should-retry': 'false' },
      },
    )
  }
}

/** 409: an admin debit (adjustment, void of a credit) larger than the available balance. */
export class InsufficientBalanceError extends ConflictError {
  constructor(availableMicros: bigint, requestedMicros: bigint) {
    super(
      `The account's available balance (${availableMicros} micros) does not cover ${requestedMicros} micros.`,
      { code: 'insufficient_balance', param: 'amountMicros' },
    )
  }
}

/** The largest balance an account can hold: BIGINT's maximum, 2^63 − 1 micros. */
export const MAX_BALANCE_MICROS = 2n ** 63n - 1n

/** 409: a credit that would take the balance past what the ledger can hold. */
export class BalanceLimitError extends ConflictError {
  constructor(maxMicros: bigint) {
    super(`The credit would take the balance above ${maxMicros} micros, the most it can hold.`, {
      code: 'balance_limit_exceeded',
      param: 'amountMicros',
    })
  }
}

/** 409: a hold is settled, released or resolved twice. A hold resolves at most once. */
export class HoldAlreadyResolvedError extends ConflictError {
  constructor(holdId: string, state: string) {
    super(`Hold '${holdId}' is already ${state}.`, { code: 'hold_already_resolved' })
  }
}

export class LedgerEntryNotFoundError extends NotFoundError {
  /** `param`: the field that named it (a refund's `settlementEntryId`). */
  constructor(entryId: string, param = 'entryId') {
    super(`No ledger entry with id '${entryId}'.`, {
      code: 'ledger_entry_not_found',
      param,
    })
  }
}

/** 409: a refund must cite a usage charge of the same organization and request. */
export class NotRefundableError extends ConflictError {
  constructor(message: string) {
    super(message, { code: 'entry_not_refundable', param: 'settlementEntryId' })
  }
}

/** 409: the refund would return more than the settlement charged (less what was refunded). */
export class RefundExceedsChargeError extends ConflictError {
  constructor(refundableMicros: bigint) {
    super(`At most ${refundableMicros} micros of this charge can still be refunded.`, {
      code: 'refund_exceeds_charge',
      param: 'amountMicros',
    })
  }
}

/** 409: only credits, invoice applications and adjustments are voided (refunds correct charges). */
export class NotVoidableError extends ConflictError {
  constructor(kind: string, why?: string) {
    super(why ?? `A '${kind}' entry cannot be voided; refund a usage charge instead.`, {
      code: 'entry_not_voidable',
      param: 'entryId',
    })
  }
}

export class AlreadyVoidedError extends ConflictError {
  constructor(entryId: string) {
    super(`Ledger entry '${entryId}' is already voided.`, { code: 'already_voided' })
  }
}

/** 409: the paid invoice is on the balance already (an application not voided). */
export class InvoiceAlreadyAppliedError extends ConflictError {
  constructor(invoiceId: string, entryId: string) {
    super(
      `Invoice '${invoiceId}' was already applied (ledger entry '${entryId}'); void that entry first to apply it again.`,
      { code: 'invoice_already_applied', param: 'invoiceId' },
    )
  }
}

/** 409: the idempotency key was used before for a different operation or amount. */
export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('This idempotency key was already used with different parameters.', {
      code: 'idempotency_key_reused',
      param: 'idempotencyKey',
    })
  }
}

/** 403: above the approval threshold, a second admin's approval (`approvalId`) is required. */
export class ApprovalRequiredError extends FerryError {
  constructor(thresholdMicros: bigint) {
    super(
      `Amounts above ${thresholdMicros} micros need a second admin's approval: request one (POST /orgs/{id}/billing/approvals), have another admin grant it, then pass approvalId.`,
      {
        status: 403,
        type: 'invalid_request_error',
        code: 'approval_required',
        param: 'approvalId',
      },
    )
  }
}

export class ApprovalNotFoundError extends NotFoundError {
  constructor(approvalId: string) {
    super(`No billing approval with id '${approvalId}'.`, {
      code: 'approval_not_found',
      param: 'approvalId',
    })
  }
}

/** 409: the approval is not granted, already used, expired, or for another operation. */
export class ApprovalNotUsableError extends ConflictError {
  constructor(message: string) {
    super(message, { code: 'approval_not_usable', param: 'approvalId' })
  }
}

/** 403: an admin approving their own request, or executing what they approved. */
export class SelfApprovalError extends FerryError {
  constructor() {
    super('An approval must come from a second admin: you requested (or approved) this one.', {
      status: 403,
      type: 'invalid_request_error',
      code: 'self_approval_forbidden',
    })
  }
}
