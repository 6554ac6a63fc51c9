import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BudgetBlockedError, type BudgetDecision } from '../../budgets/index.js'
import { InsufficientQuotaError } from '../../billing/index.js'
import { buildUsageDraft, type RequestMetering, type UsageFacts } from '../../gateway/index.js'
import type { Clock } from '../../lib/clock.js'
import type { UsageDraft } from '../../usage/index.js'
import { CLIENT_CLOSED_REQUEST } from '../middleware/access-log.js'
import { toOpenAIError } from '../openai-error.js'

/**
 * What a /v1 request has learned so far for its usage event: set as the request moves through
 * the lifecycle, turned into a draft once, when it ends (with its settlement where there is one).
 */
export interface UsageTrace {
  readonly startedMs: number
  endpoint: string
  modelRequested: string | null
  routePolicyScope: string | null
  routePolicyVersion: string | null
  budget: UsageFacts['budget']
  /** Set once the usage event was handed to the writer: a request records one event. */
  recorded: boolean
}

type EndFacts = Partial<
  Pick<
    UsageFacts,
    'usage' | 'usageSource' | 'settlementOutcome' | 'upstream' | 'stream' | 'errorCode'
  >
> &
  Pick<UsageFacts, 'httpStatus'>

/** The trace of this request, started at the first look (the route handler or the fallback). */
export function usageTraceOf(request: FastifyRequest, startedMs: number): UsageTrace {
  return (request.usageTrace ??= {
    startedMs,
    endpoint: request.routeOptions.url ?? request.url.split('?', 1)[0] ?? request.url,
    modelRequested: null,
    routePolicyScope: null,
    routePolicyVersion: null,
    budget: null,
    recorded: false,
  })
}

/** The trace's draft, marking it recorded: call right before handing it to the writer. */
export function takeUsageDraft(
  request: FastifyRequest,
  input: { trace: UsageTrace; clock: Clock; end: EndFacts },
): UsageDraft | null {
  const { trace } = input
  const key = request.customerKey
  if (trace.recorded || key === undefined) return null
  trace.recorded = true
  return buildUsageDraft({
    caller: {
      requestId: request.id,
      organizationId: key.organizationId,
      keyId: key.keyId,
      keyLabel: key.label,
      environment: key.environment,
    },
    endpoint: trace.endpoint,
    startedMs: trace.startedMs,
    nowMs: input.clock.nowMs(),
    modelRequested: trace.modelRequested,
    routePolicyScope: trace.routePolicyScope,
    routePolicyVersion: trace.routePolicyVersion,
    routing: request.routingOutcome ?? null,
    budget: trace.budget,
    usage: input.end.usage ?? null,
    usageSource: input.end.usageSource ?? null,
    settlementOutcome: input.end.settlementOutcome ?? null,
    httpStatus: input.end.httpStatus,
    errorCode: input.end.errorCode ?? null,
    upstream: input.end.upstream ?? null,
    stream: input.end.stream ?? null,
  })
}

/** How an error will be answered: its status and code, as the error handler maps it. */
export function answerOf(
  err: unknown,
  options: { bodyLimitBytes: number; clientLeft?: boolean },
): { httpStatus: number; errorCode: string | null } {
  if (options.clientLeft === true) return { httpStatus: CLIENT_CLOSED_REQUEST, errorCode: null }
  const mapped = toOpenAIError(err, { bodyLimitBytes: options.bodyLimitBytes })
  return { httpStatus: mapped.status, errorCode: mapped.body.error.code }
}

/** The budget facts of a request that the budget or the balance refused. */
export function refusedBudget(err: unknown): UsageFacts['budget'] {
  const refused = (
    decision: Pick<BudgetDecision, 'decision' | 'reason' | 'policyVersion' | 'budgetPolicyId'>,
  ): UsageFacts['budget'] => ({ decision, priceVersion: null, heldMicros: 0n })
  if (err instanceof BudgetBlockedError)
    return refused({
      decision: 'block',
      reason: err.reason,
      policyVersion: err.policyVersion,
      budgetPolicyId: err.budgetPolicyId,
    })
  if (err instanceof InsufficientQuotaError)
    return refused({
      decision: 'block',
      reason: 'insufficient_balance',
      policyVersion: null,
      budgetPolicyId: null,
    })
  return null
}

/**
 * Every authenticated /v1 request gets one usage event. The inference routes record theirs with
 * their settlement; this hook records the rest (model listings, bodies refused before a route
 * ran) before the answer leaves. A failed write is logged, and the answer still goes out: the
 * request changed nothing that the event would have accounted for.
 */
export function registerUsageFallback(
  app: FastifyInstance,
  deps: { metering: RequestMetering; clock: Clock },
): void {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    if (request.customerKey === undefined || request.usageTrace?.recorded === true) return payload
    const trace = usageTraceOf(request, deps.clock.nowMs() - reply.elapsedTime)
    const draft = takeUsageDraft(request, {
      trace,
      clock: deps.clock,
      end: { httpStatus: reply.statusCode, errorCode: errorCodeIn(reply.statusCode, payload) },
    })
    if (draft !== null)
      await deps.metering
        .record(draft)
        .catch((err: unknown) => request.log.error({ err }, 'usage event write failed'))
    return payload
  })
}

function errorCodeIn(status: number, payload: unknown): string | null {
  if (status < 400 || typeof payload !== 'string') return null
  try {
    const parsed = JSON.parse(payload) as { error?: { code?: unknown } }
    return typeof parsed.error?.code === 'string' ? parsed.error.code : null
  } catch {
    return null
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What this /v1 request's usage event will say (see usage-trace.ts). */
    usageTrace?: UsageTrace
  }
}
