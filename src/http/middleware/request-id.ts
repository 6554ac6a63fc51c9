import type { IncomingMessage } from 'node:http'
import { isWellFormedRequestId, newRequestId } from '../../lib/ids.js'
import { FERRY_HEADERS } from '../headers.js'

/**
 * Fastify's genReqId: keep a well-formed client `x-request-id` (so a caller can correlate its
 * own logs), otherwise mint `req_<32 hex>` like OpenAI does.
 */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[FERRY_HEADERS.requestId]
  if (typeof given === 'string' && isWellFormedRequestId(given)) return given
  return newRequestId()
}
