import { FerryError, NotFoundError } from '../lib/errors.js'

/** 404: nothing is recorded under this request ID (no usage event, no ledger entry). */
export class RequestEvidenceNotFoundError extends NotFoundError {
  constructor(requestId: string) {
    super(`Nothing is recorded for request '${requestId}'.`, {
      code: 'request_evidence_not_found',
      param: 'requestId',
    })
  }
}

/**
 * 403: the request belongs to another organization than the one the reader is confined to (an
 * admin inside a support session works in that session's organization only).
 */
export class EvidenceOutsideOrganizationError extends FerryError {
  constructor(requestId: string, organizationId: string) {
    super(
      `Request '${requestId}' is not of '${organizationId}', the organization of your support session.`,
      { status: 403, type: 'invalid_request_error', code: 'permission_denied', param: 'requestId' },
    )
  }
}
