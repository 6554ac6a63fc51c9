import { z } from 'zod'
import { openUpstream, readJsonBody, readSseBatches } from '../call-upstream.js'
import { countTextTokens, estimateChatPromptTokens } from '../count-tokens.js'
import { meterStream } from '../metered-stream.js'
import type { ModelInfo } from '../openai-types.js'
import type { ProviderAdapter } from '../provider-adapter.js'
import { accountSettings } from '../provider-settings.js'
import { chatChunkReader } from '../stream-readers.js'
import { toCompletionUsage, ZERO_USAGE } from '../token-usage.js'
import { unsupportedEndpoint } from '../unsupported.js'
import type { UpstreamHttpRequest, UpstreamTransport } from '../upstream-client.js'
import type { UpstreamContext } from '../upstream-context.js'
import { UpstreamBadResponseError } from '../upstream-errors.js'
import { anthropicDialect } from './anthropic-dialect.js'
import { AnthropicStreamTranslator, translateAnthropicStream } from './anthropic-stream.js'
import type { AnthropicRequest, AnthropicResponse } from './anthropic-types.js'
import { fromAnthropicResponse, hasCounts } from './from-anthropic-response.js'
import { toAnthropicRequest } from './to-anthropic-request.js'

/** Settings of an `anthropic` provider account. */
export const anthropicSettingsSchema = z
  .object({
    /** `anthropic-version` header. @default '2023-06-01' */
    version: z.string().min(1).default('2023-06-01'),
    /**
     * `max_tokens` when the client sets neither `max_tokens` nor `max_completion_tokens`
     * (Anthropic requires it; OpenAI does not). 4096 fits every current Claude model's output
     * limit. @default 4096
     */
    defaultMaxTokens: z.number().int().min(1).default(4096),
    /** `anthropic-beta` features to enable. @default [] */
    betas: z.array(z.string().min(1)).default([]),
  })
  .strict()

const PROVIDER = 'Anthropic'

/**
 * Anthropic's Messages API behind OpenAI's chat completions: requests and answers are translated
 * both ways (to-anthropic-request.ts, from-anthropic-response.ts, anthropic-stream.ts).
 * Completions, embeddings and the Responses API have no Anthropic equivalent and are refused.
 */
export function createAnthropicAdapter(options: { transport: UpstreamTransport }): ProviderAdapter {
  const { transport } = options

  function call(request: UpstreamHttpRequest, ctx: UpstreamContext) {
    return openUpstream(transport, { request, ctx, dialect: anthropicDialect })
  }

  function messagesRequest(body: AnthropicRequest, ctx: UpstreamContext): UpstreamHttpRequest {
    return {
      method: 'POST',
      url: url(ctx, '/messages'),
      headers: headers(ctx, body.stream === true),
      body: JSON.stringify(body),
    }
  }

  const createdSeconds = (ctx: UpstreamContext) => Math.floor(ctx.clock.nowMs() / 1000)

  return {
    kind: 'anthropic',

    async chat(request, ctx) {
      const settings = accountSettings(anthropicSettingsSchema, ctx.account)
      const { stream: _stream, stream_options: _options, ...rest } = request
      const body = toAnthropicRequest(rest, { defaultMaxTokens: settings.defaultMaxTokens })
      const opened = await call(messagesRequest(body, ctx), ctx)
      const json = await readJsonBody(opened)
      if (!Array.isArray(json.content) || typeof json.id !== 'string')
        throw new UpstreamBadResponseError('unexpected JSON shape', {
          upstreamStatus: opened.info.status,
          upstreamRequestId: opened.info.requestId,
        })
      const message = json as AnthropicResponse
      const translated = fromAnthropicResponse(message, { createdSeconds: createdSeconds(ctx) })
      if (hasCounts(message.usage))
        return { ...translated, usageSource: 'reported', upstream: opened.info }
      const usage = {
        ...ZERO_USAGE,
        promptTokens: estimateChatPromptTokens(request),
        completionTokens: countTextTokens(
          translated.body.choices.map((c) => c.message.content ?? '').join(''),
        ),
      }
      return {
        body: { ...translated.body, usage: toCompletionUsage(usage) },
        usage,
        usageSource: 'estimated',
        upstream: opened.info,
      }
    },

    async chatStream(request, ctx) {
      const settings = accountSettings(anthropicSettingsSchema, ctx.account)
      const body = {
        ...toAnthropicRequest(request, { defaultMaxTokens: settings.defaultMaxTokens }),
        stream: true,
      }
      const startedAtMs = ctx.clock.nowMs()
      const opened = await call(messagesRequest(body, ctx), ctx)
      const clientWantsUsage = request.stream_options?.include_usage === true
      const translator = new AnthropicStreamTranslator({
        createdSeconds: createdSeconds(ctx),
        clientWantsUsage,
        credential: ctx.account.credential,
        upstreamRequestId: opened.info.requestId,
      })
      return meterStream({
        batches: translateAnthropicStream(readSseBatches(opened), translator),
        upstream: opened.info,
        clientWantsUsage,
        ctx,
        startedAtMs,
        reader: chatChunkReader,
        estimatePromptTokens: () => estimateChatPromptTokens(request),
        partialUsage: () => translator.partialUsage(),
      })
    },

    completions: () => Promise.reject(unsupportedEndpoint('/v1/completions', PROVIDER)),
    completionsStream: () => Promise.reject(unsupportedEndpoint('/v1/completions', PROVIDER)),
    embeddings: () => Promise.reject(unsupportedEndpoint('/v1/embeddings', PROVIDER)),
    responses: () => Promise.reject(unsupportedEndpoint('/v1/responses', PROVIDER)),
    responsesStream: () => Promise.reject(unsupportedEndpoint('/v1/responses', PROVIDER)),

    async listModels(ctx) {
      const opened = await call(
        { method: 'GET', url: url(ctx, '/models?limit=1000'), headers: headers(ctx, false) },
        ctx,
      )
      const json = await readJsonBody(opened)
      if (!Array.isArray(json.data))
        throw new UpstreamBadResponseError('unexpected JSON shape', {
          upstreamRequestId: opened.info.requestId,
        })
      return { data: (json.data as unknown[]).flatMap(toModelInfo), upstream: opened.info }
    },
  }
}

/** `https://api.anthropic.com` and `https://api.anthropic.com/v1` both work as baseUrl. */
function url(ctx: UpstreamContext, path: string): string {
  const base = ctx.account.baseUrl.replace(/\/+$/, '')
  return `${base.endsWith('/v1') ? base : `${base}/v1`}${path}`
}

function headers(ctx: UpstreamContext, streaming: boolean): Record<string, string> {
  const settings = accountSettings(anthropicSettingsSchema, ctx.account)
  return {
    ...ctx.account.extraHeaders,
    ...(ctx.account.credential === null ? {} : { 'x-api-key': ctx.account.credential }),
    'anthropic-version': settings.version,
    ...(settings.betas.length > 0 ? { 'anthropic-beta': settings.betas.join(',') } : {}),
    'content-type': 'application/json',
    accept: streaming ? 'text/event-stream' : 'application/json',
    'x-request-id': ctx.requestId,
  }
}

function toModelInfo(raw: unknown): ModelInfo[] {
  const model = (raw ?? {}) as { id?: unknown; created_at?: unknown; display_name?: unknown }
  if (typeof model.id !== 'string') return []
  const created = typeof model.created_at === 'string' ? Date.parse(model.created_at) : Number.NaN
  return [
    {
      id: model.id,
      object: 'model',
      created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
      owned_by: 'anthropic',
    },
  ]
}
