import { NotFoundError } from '../lib/errors.js'

/** 404: no captured content for this request (never captured, or purged by retention). */
export class RequestLogNotFoundError extends NotFoundError {
  constructor(requestId: string) {
    super(`No request log with id '${requestId}'.`, {
      code: 'request_log_not_found',
      param: 'request_id',
    })
  }
}
