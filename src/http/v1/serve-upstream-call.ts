import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  abortableSleep,
  prepareCall,
  primeStream,
  routingLogFields,
  runAttempts,
  servedModelOf,
  toRoutingOutcome,
  usageLogFields,
  type AttemptsResult,
  type GatewayEndpoint,
  type GatewayRouting,
  type ModelResolver,
  type MeteredRequest,
  type RequestMetering,
} from '../../gateway/index.js'
import type { AuthenticatedKey } from '../../keys/index.js'
import {
  NoAvailableTargetError,
  type BudgetState,
  type PlannedTarget,
  type RoutingOutcome,
} from '../../routing/index.js'
import type { Clock } from '../../lib/clock.js'
import {
  rawBodyOf,
  type ProviderAdapter,
  type ProviderRegistry,
  type UpstreamContext,
  type UpstreamResult,
  type UpstreamStream,
} from '../../providers/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { FERRY_HEADERS } from '../headers.js'
import { addAccessLogFields } from '../middleware/access-log.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { enforceRateLimits, settleRateLimitTokens } from './enforce-rate-limits.js'
import { clientLeft, CLIENT_CLOSED, failedEnd, meterSettler, outcomeOf } from './request-ends.js'
import { serveStream } from './serve-stream.js'
import {
  answerOf,
  refusedBudget,
  takeUsageDraft,
  usageTraceOf,
  type UsageTrace,
} from './usage-trace.js'
import type { UsageDraft } from '../../usage/index.js'
import type { RequestLogWriter } from '../../request-logs/index.js'

/** What the inference routes share. */
export interface UpstreamCallDeps {
  models: ModelResolver
  providers: ProviderRegistry
  rateLimiter: RateLimiter
  clock: Clock
  bodyLimitBytes: number
  /** Route policies, provider health and randomness (see createRoutingRuntime). */
  routing: GatewayRouting
  /** The organization's budget state, an input to downgrade rules. @default () => 'ok' */
  budgetStateOf?: (key: AuthenticatedKey) => BudgetState
  /** Waits between retries. @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Prices, budgets and balance holds; without it requests are not metered (tests, bench). */
  metering?: RequestMetering
  /** Prompt and completion capture for organizations that opted in (never waits, never throws). */
  requestLog?: Pick<RequestLogWriter, 'capture'>
}

/** One endpoint's differences: how to call the adapter and how to frame its stream. */
export interface UpstreamEndpoint<TBody extends { model: string }, TBodyOut, TItem> {
  endpoint: GatewayEndpoint
  parse(body: unknown): TBody
  isStream(body: TBody): boolean
  call(
    adapter: ProviderAdapter,
    body: TBody,
    ctx: UpstreamContext,
  ): Promise<UpstreamResult<TBodyOut>>
  callStream(
    adapter: ProviderAdapter,
    body: TBody,
    ctx: UpstreamContext,
  ): Promise<UpstreamStream<TItem>>
  /** Frame one streamed item (null to drop it); `model` is what the item should say. */
  frame(
    item: TItem,
    stream: UpstreamStream<TItem>,
    servedModel: (reported: unknown) => string,
  ): string | null
  frameError(error: {
    message: string
    type: string
    param: string | null
    code: string | null
  }): string
  trailer: string
}

/**
 * The request lifecycle for one upstream call (DESIGN steps 2–8) on Fastify: validate, plan the
 * route (the policy version is resolved once, here) and scope-check, rate limit, try the plan's
 * targets (retries and fallbacks only before the first byte reaches the client) with Ferry's
 * request id and a client-abort signal, answer (JSON or SSE), and settle the token estimate and
 * the access line with the real usage and the routing outcome.
 */
export async function serveUpstreamCall<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  http: { request: FastifyRequest; reply: FastifyReply },
): Promise<TBodyOut | string | undefined> {
  const trace = usageTraceOf(http.request, deps.clock.nowMs())
  trace.endpoint = spec.endpoint
  try {
    return await serveTraced(deps, spec, { ...http, trace })
  } catch (err) {
    // Refused before anything was settled (a limit, the budget, the balance, a bad body): the
    // usage event still says who asked for what, and why the answer was no.
    const draft = takeUsageDraft(http.request, {
      trace,
      clock: deps.clock,
      end: answerOf(err, { bodyLimitBytes: deps.bodyLimitBytes }),
    })
    if (draft !== null && deps.metering)
      await deps.metering
        .record(draft)
        .catch((writeErr: unknown) =>
          http.request.log.error({ err: writeErr }, 'usage event write failed'),
        )
    throw err
  }
}

async function serveTraced<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  http: { request: FastifyRequest; reply: FastifyReply; trace: UsageTrace },
): Promise<TBodyOut | string | undefined> {
  const { request, reply, trace } = http
  const key = customerKeyOf(request)
  const body = spec.parse(request.body)
  const policyLimits = deps.metering?.rateLimitsFor({
    organizationId: key.organizationId,
    keyId: key.keyId,
  })
  const planFor = (budgetState: BudgetState) =>
    prepareCall(
      { resolver: deps.models, routing: deps.routing },
      {
        endpoint: spec.endpoint,
        scopes: key.scopes,
        organizationId: key.organizationId,
        body,
        budgetState,
        needsTokenEstimate:
          key.rateLimits.tokensPerMinute !== undefined ||
          key.organizationRateLimits.tokensPerMinute !== undefined ||
          policyLimits?.key.tokensPerMinute !== undefined ||
          policyLimits?.organization.tokensPerMinute !== undefined,
      },
    )
  let call = planFor(deps.budgetStateOf?.(key) ?? 'ok')
  // Said on every answer from here on, errors included: support can always name the version.
  void reply.header(FERRY_HEADERS.routePolicyVersion, call.plan.version)
  addAccessLogFields(request, {
    modelRequested: call.requestedModel,
    routePolicyVersion: call.plan.version,
  })
  trace.modelRequested = call.requestedModel
  trace.routePolicyVersion = call.plan.version
  trace.routePolicyScope = call.plan.policyScope
  const charges = await enforceRateLimits({
    limiter: deps.rateLimiter,
    key,
    ...(policyLimits ? { policyLimits } : {}),
    estimatedTokens: call.estimatedTokens,
    reply,
  })
  const settle = (actualTokens: number) => {
    settleRateLimitTokens({ limiter: deps.rateLimiter, charges, actualTokens }).catch(
      (err: unknown) => request.log.error({ err }, 'rate limit settlement failed'),
    )
  }
  let metered: MeteredRequest | null = null
  try {
    metered = deps.metering
      ? await deps.metering.open({
          caller: {
            organizationId: key.organizationId,
            keyId: key.keyId,
            environment: key.environment,
            requestId: request.id,
          },
          endpoint: spec.endpoint,
          // The client's body (not the per-target copy): the prompt counted for the token
          // limits is then not counted again.
          body,
          targets: call.plan.targets,
          downgrade: () => {
            call = planFor('downgrade')
            return call.plan.targets
          },
        })
      : null
  } catch (err) {
    settle(0)
    trace.budget = refusedBudget(err)
    throw err
  }
  if (metered !== null) {
    trace.budget = {
      decision: metered.decision,
      priceVersion: metered.priceVersion,
      heldMicros: metered.heldMicros,
    }
    addAccessLogFields(request, {
      budgetDecision: metered.decision.decision,
      budgetReason: metered.decision.reason,
      budgetPolicyVersion: metered.decision.policyVersion,
      priceTableVersion: metered.priceVersion,
      heldMicros: metered.heldMicros.toString(),
      ...(metered.holdMs !== null ? { holdMs: Math.round(metered.holdMs * 1000) / 1000 } : {}),
    })
  }
  const settleMoney = meterSettler(metered, request)
  /** The usage event, written with the settlement (what was held is read at the end). */
  const usageAt = (end: Parameters<typeof takeUsageDraft>[1]['end']): UsageDraft | null => {
    if (trace.budget !== null && metered !== null) trace.budget.heldMicros = metered.heldMicros
    return takeUsageDraft(request, { trace, clock: deps.clock, end })
  }
  /** Queue the request's content for capture, where its organization opted in. */
  const capture = (response: unknown) => {
    if (key.requestLogCapture && deps.requestLog)
      deps.requestLog.capture({
        organizationId: key.organizationId,
        requestId: request.id,
        endpoint: spec.endpoint,
        request: body,
        response,
        createdAtMs: trace.startedMs,
      })
  }
  const abort = new AbortController()
  const answered = (err: unknown) =>
    answerOf(err, { bodyLimitBytes: deps.bodyLimitBytes, clientLeft: clientLeft(abort) })
  const ctxFor = (target: PlannedTarget): UpstreamContext => ({
    account: target.account,
    requestId: request.id,
    signal: abort.signal,
    clock: deps.clock,
  })
  const bodyFor = (target: PlannedTarget): TBody => ({ ...call.body, model: target.model })
  const servedHeaders = (target: PlannedTarget) => ({
    [FERRY_HEADERS.processingMs]: String(
      Math.max(0, Math.round(deps.clock.nowMs() - trace.startedMs)),
    ),
    [FERRY_HEADERS.servedModel]: target.model,
  })
  const attempt = <T>(run: (target: PlannedTarget) => Promise<T>) =>
    runAttempts({
      targets: call.plan.targets,
      skipUnhealthy: call.plan.skipUnhealthy,
      health: deps.routing.health,
      clock: deps.clock,
      random: deps.routing.random,
      signal: abort.signal,
      sleep: deps.sleep ?? abortableSleep,
      attempt: run,
    })
  const record = <T>(result: AttemptsResult<T>) => {
    const outcome = toRoutingOutcome({
      requestedModel: call.requestedModel,
      plan: call.plan,
      attempts: result.attempts,
      served: result.ok ? result.target : null,
    })
    request.routingOutcome = outcome
    addAccessLogFields(request, routingLogFields(outcome))
    if (outcome.fallbackReason !== null || result.attempts.length > 1)
      request.log.warn(
        { routing: { ...routingLogFields(outcome), attempts: outcome.attempts } },
        result.ok ? 'upstream fallback or retry' : 'upstream attempts failed',
      )
    return outcome
  }
  // Every attempt skipped (circuits open): nothing was sent upstream.
  const failure = (result: { error: unknown }): Error =>
    result.error instanceof Error ? result.error : new NoAvailableTargetError(call.requestedModel)

  if (!spec.isStream(call.body)) {
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort(new Error(CLIENT_CLOSED))
    }
    reply.raw.once('close', onClose)
    try {
      const result = await attempt((target) =>
        spec.call(deps.providers.forAccount(target.account), bodyFor(target), ctxFor(target)),
      )
      record(result)
      if (!result.ok) {
        const err = failure(result)
        const end = failedEnd(result.attempts, { targets: call.plan.targets, abort })
        await settleMoney(end, usageAt({ ...answered(err), settlementOutcome: outcomeOf(end) }))
        capture(null)
        throw err
      }
      const { value, target } = result
      const tokens = value.usage.promptTokens + value.usage.completionTokens
      settle(tokens)
      addAccessLogFields(request, usageLogFields(value))
      // The answer leaves only once its charge and usage event are durable.
      await settleMoney(
        { outcome: 'completed', usage: value.usage, target },
        usageAt({
          httpStatus: 200,
          usage: value.usage,
          usageSource: value.usageSource,
          settlementOutcome: 'completed',
          upstream: value.upstream,
        }),
      )
      const out = value.body as TBodyOut & { model?: unknown }
      const raw = namesServedModel(out, target.model) ? rawBodyOf(out) : undefined
      capture(out)
      void reply.headers(servedHeaders(target))
      if (raw === undefined) return out
      // As the upstream wrote it: nothing in it changes, so it is not serialized again.
      void reply.type('application/json; charset=utf-8')
      return raw
    } catch (err) {
      settle(0)
      await settleMoney(
        { outcome: 'upstream_failed_no_output' },
        usageAt({ ...answered(err), settlementOutcome: 'upstream_failed_no_output' }),
      ).catch(() => undefined)
      throw err
    } finally {
      reply.raw.removeListener('close', onClose)
    }
  }

  return serveStream(deps, spec, {
    request,
    reply,
    call,
    abort,
    settle,
    settleMoney,
    usageAt,
    answered,
    capture: key.requestLogCapture && deps.requestLog ? capture : null,
    metered,
    servedHeaders,
    attempt: () =>
      attempt(async (target) => {
        const stream = await spec.callStream(
          deps.providers.forAccount(target.account),
          bodyFor(target),
          ctxFor(target),
        )
        return { stream, batches: await primeStream(stream.batches()) }
      }),
    record,
    failure,
  })
}

/**
 * Name the model that served in a JSON answer, in place; true when the answer already did (or
 * has no `model` to name), so its upstream text can be sent unchanged.
 */
function namesServedModel(out: unknown, upstreamModel: string): boolean {
  if (typeof out !== 'object' || out === null || !('model' in out)) return true
  const served = servedModelOf(out.model, upstreamModel)
  if (served === out.model) return true
  out.model = served
  return false
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request went and why (set once the gateway tried its route). */
    routingOutcome?: RoutingOutcome
  }
}
