import { FerryError, InvalidRequestError } from '../lib/errors.js'

/** 400: a high-risk action was requested without a reason code. */
export class ReasonRequiredError extends InvalidRequestError {
  constructor(action: string) {
    super(
      `The action '${action}' is high-risk and requires a reason: send "reason": {"code": "snake_case_code", "note": "optional text"}.`,
      { param: 'reason', code: 'reason_required' },
    )
  }
}

/** 400: the reason code is not a short snake_case code. */
export class InvalidReasonError extends InvalidRequestError {
  constructor() {
    super(
      'reason.code must be 3–64 characters of lower-case letters, digits and underscores, starting with a letter.',
      {
        param: 'reason.code',
        code: 'invalid_reason',
      },
    )
  }
}

/** 500: the audit event could not be written, so the change it describes was rolled back. */
export class AuditWriteFailedError extends FerryError {
  constructor(cause: unknown) {
    super('The change was not made because its audit event could not be recorded.', {
      status: 500,
      type: 'server_error',
      code: 'audit_write_failed',
      cause,
    })
  }
}
