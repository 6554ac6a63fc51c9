import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  prepareCall,
  servedModelOf,
  usageLogFields,
  type GatewayEndpoint,
  type ModelResolver,
  type PreparedCall,
} from '../../gateway/index.js'
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

/** What the inference routes share. */
export interface UpstreamCallDeps {
  models: ModelResolver
  providers: ProviderRegistry
  rateLimiter: RateLimiter
  clock: Clock
  bodyLimitBytes: number
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
 * The request lifecycle for one upstream call (DESIGN steps 2–8) on Fastify: validate, resolve
 * and scope-check, rate limit, call with Ferry's request id and a client-abort signal, answer
 * (JSON or SSE), and settle the token estimate and the access line with the real usage.
 */
export async function serveUpstreamCall<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  http: { request: FastifyRequest; reply: FastifyReply },
): Promise<TBodyOut | undefined> {
  const { request, reply } = http
  const startedMs = deps.clock.nowMs()
  const key = customerKeyOf(request)
  const body = spec.parse(request.body)
  const call = prepareCall(
    { resolver: deps.models, providers: deps.providers },
    {
      endpoint: spec.endpoint,
      scopes: key.scopes,
      body,
      needsTokenEstimate:
        key.rateLimits.tokensPerMinute !== undefined ||
        key.organizationRateLimits.tokensPerMinute !== undefined,
    },
  )
  request.accessLogFields = {
    ...request.accessLogFields,
    modelRequested: call.requestedModel,
    modelServed: call.upstreamModel,
    provider: call.account.label,
  }
  const charges = await enforceRateLimits({
    limiter: deps.rateLimiter,
    key,
    estimatedTokens: call.estimatedTokens,
    reply,
  })
  const settle = (actualTokens: number) => {
    settleRateLimitTokens({ limiter: deps.rateLimiter, charges, actualTokens }).catch(
      (err: unknown) => request.log.error({ err }, 'rate limit settlement failed'),
    )
  }
  const abort = new AbortController()
  const ctx: UpstreamContext = {
    account: call.account,
    requestId: request.id,
    signal: abort.signal,
    clock: deps.clock,
  }
  const servedHeaders = () => ({
    [FERRY_HEADERS.processingMs]: String(Math.max(0, Math.round(deps.clock.nowMs() - startedMs))),
    [FERRY_HEADERS.servedModel]: call.upstreamModel,
  })

  if (!spec.isStream(call.body)) {
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client closed the connection'))
    }
    reply.raw.once('close', onClose)
    try {
      const result = await spec.call(call.adapter, call.body, ctx)
      const tokens = result.usage.promptTokens + result.usage.completionTokens
      settle(tokens)
      request.accessLogFields = { ...request.accessLogFields, ...usageLogFields(result) }
      const out = result.body as TBodyOut & { model?: unknown }
      if (typeof out === 'object' && out !== null && 'model' in out)
        out.model = servedModelOf(out.model, call.upstreamModel)
      void reply.headers(servedHeaders())
      return out
    } catch (err) {
      settle(0)
      throw err
    } finally {
      reply.raw.removeListener('close', onClose)
    }
  }

  return serveStream(deps, spec, { request, reply, call, ctx, abort, settle, servedHeaders })
}

async function serveStream<TBody extends { model: string }, TBodyOut, TItem>(
  deps: UpstreamCallDeps,
  spec: UpstreamEndpoint<TBody, TBodyOut, TItem>,
  run: {
    request: FastifyRequest
    reply: FastifyReply
    call: PreparedCall<TBody>
    ctx: UpstreamContext
    abort: AbortController
    settle: (tokens: number) => void
    servedHeaders: () => Record<string, string>
  },
): Promise<undefined> {
  const { request, reply, call, abort } = run
  let stream: UpstreamStream<TItem>
  // The client may leave before the upstream even answers.
  const onEarlyClose = () => abort.abort(new Error('client closed the connection'))
  reply.raw.once('close', onEarlyClose)
  try {
    stream = await spec.callStream(call.adapter, call.body, run.ctx)
  } catch (err) {
    run.settle(0)
    throw err
  } finally {
    reply.raw.removeListener('close', onEarlyClose)
  }
  const served = (reported: unknown) => servedModelOf(reported, call.upstreamModel)
  let settled = false
  const settleStream = (end: RelayEnd | 'failed_before_headers') => {
    if (settled) return
    settled = true
    const outcome = stream.outcome()
    run.settle(outcome.usage.promptTokens + outcome.usage.completionTokens)
    request.accessLogFields = {
      ...request.accessLogFields,
      ...usageLogFields({
        usage: outcome.usage,
        usageSource: outcome.usageSource,
        streamOutcome: end === 'client_aborted' ? 'client_aborted' : outcome.status,
      }),
      chunksDelivered: outcome.chunksDelivered,
    }
  }
  try {
    await relaySse({
      reply,
      items: stream,
      abort,
      encode: (item) => spec.frame(item, stream, served),
      headersAtStart: run.servedHeaders,
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
  } finally {
    settleStream('failed_before_headers')
  }
  return undefined
}
