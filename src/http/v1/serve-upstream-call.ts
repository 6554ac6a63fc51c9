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
  type MeteredEnd,
  type MeteredRequest,
  type PreparedCall,
  type RequestMetering,
} from '../../gateway/index.js'
import { InsufficientQuotaError, type SettlementOutcome } from '../../billing/index.js'
import type { AuthenticatedKey } from '../../keys/index.js'
import {
  NoAvailableTargetError,
  type BudgetState,
  type PlannedTarget,
  type RoutingOutcome,
} from '../../routing/index.js'
import type { Clock } from '../../lib/clock.js'
import type {
  ProviderAdapter,
  ProviderRegistry,
  UpstreamContext,
  UpstreamResult,
  UpstreamStream,
} from '../../providers/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { FERRY_HEADERS } from '../headers.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { toOpenAIError } from '../openai-error.js'
import { enforceRateLimits, settleRateLimitTokens } from './enforce-rate-limits.js'
import { relaySse, type RelayEnd } from './sse.js'
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
): Promise<TBodyOut | undefined> {
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
): Promise<TBodyOut | undefined> {
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
  request.accessLogFields = {
    ...request.accessLogFields,
    modelRequested: call.requestedModel,
    routePolicyVersion: call.plan.version,
  }
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
    request.accessLogFields = {
      ...request.accessLogFields,
      budgetDecision: metered.decision.decision,
      budgetReason: metered.decision.reason,
      budgetPolicyVersion: metered.decision.policyVersion,
      priceTableVersion: metered.priceVersion,
      heldMicros: metered.heldMicros.toString(),
    }
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
    request.accessLogFields = { ...request.accessLogFields, ...routingLogFields(outcome) }
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
      request.accessLogFields = { ...request.accessLogFields, ...usageLogFields(value) }
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
      if (typeof out === 'object' && out !== null && 'model' in out)
        out.model = servedModelOf(out.model, target.model)
      capture(out)
      void reply.headers(servedHeaders(target))
      return out
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
        return { stream, items: await primeStream(stream) }
      }),
    record,
    failure,
  })
}

interface PrimedUpstream<TItem> {
  stream: UpstreamStream<TItem>
  /** The same items, the first one already read (see primeStream). */
  items: AsyncIterable<TItem>
}

async function serveStream<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  run: {
    request: FastifyRequest
    reply: FastifyReply
    call: PreparedCall<TBody>
    abort: AbortController
    settle: (tokens: number) => void
    settleMoney: (end: MeteredEnd, usage: UsageDraft | null) => Promise<void>
    usageAt: (end: Parameters<typeof takeUsageDraft>[1]['end']) => UsageDraft | null
    answered: (err: unknown) => { httpStatus: number; errorCode: string | null }
    /** Queues the content for capture where the organization opted in (a no-op otherwise). */
    capture: ((response: unknown) => void) | null
    metered: MeteredRequest | null
    servedHeaders: (target: PlannedTarget) => Record<string, string>
    attempt: () => Promise<AttemptsResult<PrimedUpstream<TItem>>>
    record: (result: AttemptsResult<PrimedUpstream<TItem>>) => RoutingOutcome
    failure: (result: { error: unknown }) => Error
  },
): Promise<undefined> {
  const { request, reply, abort } = run
  let result: AttemptsResult<PrimedUpstream<TItem>>
  // The client may leave before the upstream even answers.
  const onEarlyClose = () => abort.abort(new Error(CLIENT_CLOSED))
  reply.raw.once('close', onEarlyClose)
  try {
    result = await run.attempt()
  } finally {
    reply.raw.removeListener('close', onEarlyClose)
  }
  run.record(result)
  if (!result.ok) {
    run.settle(0)
    const err = run.failure(result)
    const end = failedEnd(result.attempts, { targets: run.call.plan.targets, abort })
    await run.settleMoney(
      end,
      run.usageAt({ ...run.answered(err), settlementOutcome: outcomeOf(end) }),
    )
    run.capture?.(null)
    throw err
  }
  const { stream, items } = result.value
  const target = result.target
  const served = (reported: unknown) => servedModelOf(reported, target.model)
  // The frames the client received, kept only where the organization captures content.
  const frames = run.capture ? createFrameCapture() : null
  let settled: Promise<void> | null = null
  const settleStream = (end: RelayEnd | 'failed_before_headers', failedWith?: unknown) =>
    (settled ??= (async () => {
      const outcome = stream.outcome()
      const streamOutcome = end === 'client_aborted' ? 'client_aborted' : outcome.status
      run.settle(outcome.usage.promptTokens + outcome.usage.completionTokens)
      request.accessLogFields = {
        ...request.accessLogFields,
        ...usageLogFields({
          usage: outcome.usage,
          usageSource: outcome.usageSource,
          streamOutcome,
        }),
        chunksDelivered: outcome.chunksDelivered,
      }
      const money = streamEnd(end, { usage: outcome.usage, target, outcome })
      // Before the headers the error handler answers with the failure's status; after them
      // the client got a 200 whose stream says how it ended.
      const answer =
        end === 'failed_before_headers'
          ? run.answered(failedWith ?? outcome.error)
          : {
              httpStatus: 200,
              errorCode:
                end === 'failed' && outcome.error !== null
                  ? run.answered(outcome.error).errorCode
                  : null,
            }
      await run.settleMoney(
        money,
        run.usageAt({
          ...answer,
          usage: money.outcome === 'upstream_failed_no_output' ? null : outcome.usage,
          usageSource: outcome.usageSource,
          settlementOutcome: outcomeOf(money),
          upstream: stream.upstream,
          stream: { outcome: streamOutcome, chunksDelivered: outcome.chunksDelivered },
        }),
      )
      if (frames !== null) run.capture?.(frames.text())
    })())
  let failedWith: unknown
  try {
    // From here on nothing falls back: a failure after the first byte ends the stream with one
    // error event (relaySse), never a splice of two models' outputs.
    await relaySse({
      reply,
      items: run.metered ? extendingHold(items, { stream, metered: run.metered }) : items,
      abort,
      encode: (item) => {
        const frame = spec.frame(item, stream, served)
        if (frame !== null) frames?.add(frame)
        return frame
      },
      headersAtStart: () => run.servedHeaders(target),
      encodeError: (error) => spec.frameError(error),
      trailer: spec.trailer,
      onEnd: settleStream,
      toError: (err) => {
        const mapped = toOpenAIError(err, { bodyLimitBytes: deps.bodyLimitBytes })
        if (mapped.unexpected !== undefined)
          request.log.error({ err: mapped.unexpected }, 'stream failed unexpectedly')
        return mapped.body.error
      },
    })
  } catch (err) {
    failedWith = err
    throw err
  } finally {
    // Settled already unless the relay failed before its first frame (the error handler
    // answers that one with a real status).
    await settleStream('failed_before_headers', failedWith).catch((err: unknown) =>
      request.log.error({ err }, 'settlement failed'),
    )
  }
  return undefined
}

/** What a captured stream keeps of its frames: the capture writer cuts at 256 KiB anyway. */
const CAPTURED_STREAM_MAX_CHARS = 256 * 1024

/** The SSE frames of a captured stream, up to a bound (a long stream never grows memory). */
function createFrameCapture() {
  const parts: string[] = []
  let size = 0
  return {
    add(frame: string) {
      if (size >= CAPTURED_STREAM_MAX_CHARS) return
      parts.push(frame)
      size += frame.length
    },
    text: () => parts.join(''),
  }
}

/** How many items pass between two looks at the output a windowed hold still covers. */
const WINDOW_CHECK_EVERY = 16

/**
 * Relay `items`, extending a windowed hold before the output outgrows it (a stream without
 * `max_tokens`). When the balance cannot cover another window the stream stops with a 429
 * `insufficient_quota` error event; what was delivered is charged at settlement.
 */
async function* extendingHold<TItem>(
  items: AsyncIterable<TItem>,
  money: { stream: UpstreamStream<TItem>; metered: MeteredRequest },
): AsyncGenerator<TItem> {
  let seen = 0
  for await (const item of items) {
    yield item
    seen += 1
    const covered = money.metered.coveredOutputTokens()
    if (covered === null) continue
    if (seen % WINDOW_CHECK_EVERY !== 0) continue
    // Counting the delivered text costs real CPU: only every few items, and only here.
    const delivered = money.stream.outcome().usage.completionTokens
    if (delivered * 4 >= covered * 3 && !(await money.metered.extendWindow()))
      throw new InsufficientQuotaError()
  }
}

const CLIENT_CLOSED = 'client closed the connection'

/** Whether the abort came from the client walking away (not a timeout or a failure). */
function clientLeft(abort: AbortController): boolean {
  const reason: unknown = abort.signal.reason
  return abort.signal.aborted && reason instanceof Error && reason.message === CLIENT_CLOSED
}

/**
 * A request whose attempts produced nothing: held money goes back when nothing was sent, a
 * dispatch is waived, and a client that left a dispatched JSON request pays its input (the
 * upstream had the prompt; the client-abort rule).
 */
function failedEnd(
  attempts: readonly { outcome: string; providerAccountId: string; model: string }[],
  context: { targets: readonly PlannedTarget[]; abort: AbortController },
): MeteredEnd {
  const dispatched = attempts.filter((a) => a.outcome !== 'skipped')
  const last = dispatched.at(-1)
  if (last === undefined) return { outcome: 'not_dispatched' }
  const target = context.targets.find(
    (t) => t.providerAccountId === last.providerAccountId && t.model === last.model,
  )
  if (clientLeft(context.abort) && target !== undefined) return { outcome: 'abandoned', target }
  return { outcome: 'upstream_failed_no_output' }
}

/** The settlement outcome a metered end records (null: nothing is settled). */
function outcomeOf(end: MeteredEnd): SettlementOutcome | null {
  switch (end.outcome) {
    case 'not_dispatched':
      return null
    case 'abandoned':
      return 'client_aborted'
    default:
      return end.outcome
  }
}

/** How a relayed stream settles (settlement rules in src/billing/settlement-rules.ts). */
function streamEnd(
  end: RelayEnd | 'failed_before_headers',
  stream: { usage: MeteredUsage; target: PlannedTarget; outcome: { chunksDelivered: number } },
): MeteredEnd {
  const { usage, target } = stream
  switch (end) {
    case 'completed':
      return { outcome: 'completed', usage, target }
    case 'client_aborted':
      return { outcome: 'client_aborted', usage, target }
    case 'failed':
      return { outcome: 'upstream_failed_partial', usage, target }
    case 'failed_before_headers':
      return stream.outcome.chunksDelivered === 0
        ? { outcome: 'upstream_failed_no_output' }
        : { outcome: 'upstream_failed_partial', usage, target }
  }
}

type MeteredUsage = Extract<MeteredEnd, { usage: unknown }>['usage']

/**
 * Settle a metered request once, recording the cost on the access line. A failed settlement is
 * logged and rethrown: the response must not look complete when its charge is not recorded.
 */
function meterSettler(
  metered: MeteredRequest | null,
  request: FastifyRequest,
): (end: MeteredEnd, usage: UsageDraft | null) => Promise<void> {
  let done = false
  return async (end, usage) => {
    if (metered === null || done) return
    done = true
    try {
      const { costMicros, entry } = await metered.settle(end, usage)
      request.accessLogFields = {
        ...request.accessLogFields,
        settlementOutcome: outcomeOf(end) ?? end.outcome,
        // What was held at the end (a stream's windows included).
        heldMicros: metered.heldMicros.toString(),
        costMicros: costMicros === null ? null : costMicros.toString(),
        ledgerEntryId: entry?.entryId ?? null,
      }
    } catch (err) {
      request.log.error({ err }, 'settlement failed')
      throw err
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request went and why (set once the gateway tried its route). */
    routingOutcome?: RoutingOutcome
  }
}
