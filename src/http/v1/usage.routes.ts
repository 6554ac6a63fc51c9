import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { hasEndpointScope } from '../../keys/index.js'
import type { Clock } from '../../lib/clock.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import {
  decodeUsageCursor,
  type UsageEvent,
  type UsageService,
  type UsageTotals,
} from '../../usage/index.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { zodToInvalidRequest } from '../openai-error.js'
import { enforceRateLimits } from './enforce-rate-limits.js'
import { EndpointNotAllowedError } from './v1-errors.js'
import { IsoTimestamp as Timestamp } from '../iso-timestamp.schema.js'

/** `GET /v1/ferry/usage` query: a period (default: this UTC month so far) and a page. */
const CustomerUsageQuery = z
  .object({
    from: Timestamp.optional(),
    to: Timestamp.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    after: z
      .string()
      .max(200)
      .refine((t) => decodeUsageCursor(t) !== undefined, 'must be a next_cursor this API returned')
      .transform((t) => decodeUsageCursor(t)!)
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'must not be after `to`',
    path: ['from'],
  })

/** One event as the customer sees it: its own request, tokens in OpenAI's usage shape, cost. */
function customerEventJson(event: UsageEvent) {
  return {
    object: 'ferry.usage_event',
    id: event.usageId,
    request_id: event.requestId,
    created_at: event.createdAt,
    endpoint: event.endpoint,
    model: event.modelRequested,
    model_served: event.modelServed,
    environment: event.environment,
    status: event.httpStatus,
    error_code: event.errorCode,
    stream: event.stream,
    latency_ms: event.latencyMs,
    usage: {
      prompt_tokens: event.promptTokens,
      completion_tokens: event.completionTokens,
      total_tokens: event.promptTokens + event.completionTokens,
      prompt_tokens_details: { cached_tokens: event.cachedTokens },
      completion_tokens_details: { reasoning_tokens: event.reasoningTokens },
    },
    cost_micros: event.costMicros.toString(),
    refunded_micros: event.refundedMicros.toString(),
    refund_state: event.refundState,
  }
}

function totalsJson(totals: UsageTotals) {
  return {
    requests: Number(totals.requests),
    prompt_tokens: totals.promptTokens.toString(),
    cached_tokens: totals.cachedTokens.toString(),
    completion_tokens: totals.completionTokens.toString(),
    reasoning_tokens: totals.reasoningTokens.toString(),
    cost_micros: totals.costMicros.toString(),
    refunded_micros: totals.refundedMicros.toString(),
  }
}

/**
 * `GET /v1/ferry/usage` (only when `usage.customerReadEnabled`): the calling key's own usage
 * events, newest first, with the period's totals. Never another key's, never another
 * organization's: the filter is the authenticated key, not a parameter.
 */
export function registerCustomerUsageRoutes(
  app: FastifyInstance,
  deps: { usage: UsageService; rateLimiter: RateLimiter; clock: Clock },
): void {
  app.get('/ferry/usage', async (request, reply) => {
    const key = customerKeyOf(request)
    if (!hasEndpointScope(key.scopes, 'usage')) throw new EndpointNotAllowedError('/v1/ferry/usage')
    const parsed = CustomerUsageQuery.safeParse(request.query ?? {})
    if (!parsed.success) throw zodToInvalidRequest(parsed.error)
    const query = parsed.data
    await enforceRateLimits({ limiter: deps.rateLimiter, key, estimatedTokens: 0, reply })
    const from =
      query.from ?? `${new Date(deps.clock.nowMs()).toISOString().slice(0, 7)}-01T00:00:00.000Z`
    const filter = { keyId: key.keyId, from, ...(query.to !== undefined ? { to: query.to } : {}) }
    const [page, totals] = await Promise.all([
      deps.usage.listEvents({
        filter,
        limit: query.limit,
        ...(query.after ? { after: query.after } : {}),
      }),
      deps.usage.totals(filter),
    ])
    return {
      object: 'list',
      data: page.data.map(customerEventJson),
      has_more: page.hasMore,
      next_cursor: page.nextCursor,
      period: { from, to: query.to ?? null },
      totals: totalsJson(totals),
    }
  })
}
