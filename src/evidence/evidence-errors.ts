import { NotFoundError } from '../lib/errors.js'

/** 404: nothing is recorded under this request ID (no usage event, no ledger entry). */
export class RequestEvidenceNotFoundError extends NotFoundError {
  constructor(requestId: string) {
    super(`Nothing is recorded for request '${requestId}'.`, {
      code: 'request_evidence_not_found',
      param: 'requestId',
    })
  }
}
