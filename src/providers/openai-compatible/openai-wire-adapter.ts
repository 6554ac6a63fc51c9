import {
  openUpstream,
  readJsonBody,
  readSseBatches,
  type OpenedUpstream,
} from '../call-upstream.js'
import {
  countTextTokens,
  estimateChatPromptTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  estimateResponsesInputTokens,
} from '../count-tokens.js'
import { requestedEncoding, withEncoding } from '../embedding-encoding.js'
import { meterStream } from '../metered-stream.js'
import type {
  ChatCompletion,
  Completion,
  EmbeddingsResponse,
  ModelInfo,
  ResponseObject,
  ResponsesRequest,
  StreamOptions,
} from '../openai-types.js'
import type { ProviderAdapter, UpstreamResult } from '../provider-adapter.js'
import { chatChunkReader, completionChunkReader, responseEventReader } from '../stream-readers.js'
import {
  fromCompletionUsage,
  fromResponseUsage,
  isCompletionUsage,
  ZERO_USAGE,
  type TokenUsage,
} from '../token-usage.js'
import type { UpstreamTransport } from '../upstream-client.js'
import type { ProviderKind, UpstreamContext } from '../upstream-context.js'
import { UpstreamBadResponseError } from '../upstream-errors.js'
import { openAIDialect } from './openai-dialect.js'
import { parseChoiceStream, parseResponseEvents } from './openai-stream.js'

/** The OpenAI endpoints an OpenAI-wire upstream serves. */
export type OpenAIOperation = 'chat' | 'completions' | 'embeddings' | 'responses' | 'models'

/** Where and how an OpenAI-wire upstream is called: the only part OpenAI and Azure differ in. */
export interface OpenAIEndpoint {
  /** The absolute URL of an operation for the (upstream) model. */
  url(operation: OpenAIOperation, model: string, ctx: UpstreamContext): string
  /** Authentication headers from the account's credential. */
  authHeaders(ctx: UpstreamContext): Record<string, string>
  /** Whether to ask for usage in streams the client did not ask it for. */
  forceStreamUsage(ctx: UpstreamContext): boolean
  /** The body's `model` for an operation (Azure's Responses API wants the deployment). */
  bodyModel?(operation: OpenAIOperation, model: string, ctx: UpstreamContext): string
}

/**
 * An adapter for any upstream speaking OpenAI's wire format. Request bodies are forwarded as
 * they are (unknown fields included); only `stream` and `stream_options` are set for the call
 * Ferry makes. Response bodies keep every field the upstream sent.
 */
export function createOpenAIWireAdapter(options: {
  kind: ProviderKind
  transport: UpstreamTransport
  endpoint: OpenAIEndpoint
}): ProviderAdapter {
  const { kind, transport, endpoint } = options

  function post(
    operation: OpenAIOperation,
    body: Record<string, unknown> & { model?: string },
    ctx: UpstreamContext,
  ) {
    const model = body.model ?? ''
    const sent = endpoint.bodyModel
      ? { ...body, model: endpoint.bodyModel(operation, model, ctx) }
      : body
    return openUpstream(transport, {
      request: {
        method: 'POST',
        url: endpoint.url(operation, model, ctx),
        headers: headers(ctx, sent.stream === true),
        body: JSON.stringify(sent),
      },
      ctx,
      dialect: openAIDialect,
    })
  }

  function headers(ctx: UpstreamContext, streaming: boolean): Record<string, string> {
    return {
      ...ctx.account.extraHeaders,
      ...endpoint.authHeaders(ctx),
      'content-type': 'application/json',
      accept: streaming ? 'text/event-stream' : 'application/json',
      'x-request-id': ctx.requestId,
    }
  }

  function streamBody<R extends { stream_options?: StreamOptions | null }>(
    request: R,
    ctx: UpstreamContext,
  ): R {
    const body = { ...request, stream: true }
    if (!endpoint.forceStreamUsage(ctx)) return body
    return { ...body, stream_options: { ...request.stream_options, include_usage: true } }
  }

  function parseContext(opened: OpenedUpstream) {
    return { credential: opened.ctx.account.credential, upstreamRequestId: opened.info.requestId }
  }

  return {
    kind,

    async chat(request, ctx) {
      const opened = await post('chat', nonStreaming(request), ctx)
      const body = expectChoices<ChatCompletion>(await readJsonBody(opened), opened)
      return result(body, opened, () => ({
        ...ZERO_USAGE,
        promptTokens: estimateChatPromptTokens(request),
        completionTokens: countTextTokens(body.choices.map(chatChoiceText).join('')),
      }))
    },

    async chatStream(request, ctx) {
      const startedAtMs = ctx.clock.nowMs()
      const opened = await post('chat', streamBody(request, ctx), ctx)
      return meterStream({
        batches: parseChoiceStream(readSseBatches(opened), parseContext(opened)),
        upstream: opened.info,
        clientWantsUsage: request.stream_options?.include_usage === true,
        ctx,
        startedAtMs,
        reader: chatChunkReader,
        estimatePromptTokens: () => estimateChatPromptTokens(request),
      })
    },

    async completions(request, ctx) {
      const opened = await post('completions', nonStreaming(request), ctx)
      const body = expectChoices<Completion>(await readJsonBody(opened), opened)
      return result(body, opened, () => ({
        ...ZERO_USAGE,
        promptTokens: estimateCompletionPromptTokens(request),
        completionTokens: countTextTokens(body.choices.map((c) => c.text).join('')),
      }))
    },

    async completionsStream(request, ctx) {
      const startedAtMs = ctx.clock.nowMs()
      const opened = await post('completions', streamBody(request, ctx), ctx)
      return meterStream({
        batches: parseChoiceStream<Completion>(readSseBatches(opened), parseContext(opened)),
        upstream: opened.info,
        clientWantsUsage: request.stream_options?.include_usage === true,
        ctx,
        startedAtMs,
        reader: completionChunkReader,
        estimatePromptTokens: () => estimateCompletionPromptTokens(request),
      })
    },

    async embeddings(request, ctx) {
      const opened = await post('embeddings', request, ctx)
      const json = await readJsonBody(opened)
      if (!Array.isArray(json.data)) throw badBody(opened)
      const body = {
        ...json,
        data: withEncoding(
          json.data as EmbeddingsResponse['data'],
          requestedEncoding(request.encoding_format),
        ),
      } as EmbeddingsResponse
      return result(body, opened, () => ({
        ...ZERO_USAGE,
        promptTokens: estimateEmbeddingTokens(request),
      }))
    },

    async responses(request, ctx) {
      const opened = await post('responses', nonStreaming(request), ctx)
      const body = (await readJsonBody(opened)) as ResponseObject
      if (typeof body.id !== 'string') throw badBody(opened)
      const usage = body.usage ? fromResponseUsage(body.usage) : null
      return {
        body,
        usage: usage ?? {
          ...ZERO_USAGE,
          promptTokens: estimateResponsesInputTokens(request),
          completionTokens: countTextTokens(responseOutputText(body)),
        },
        usageSource: usage ? 'reported' : 'estimated',
        upstream: opened.info,
      }
    },

    async responsesStream(request: ResponsesRequest, ctx) {
      const startedAtMs = ctx.clock.nowMs()
      const opened = await post('responses', { ...request, stream: true }, ctx)
      return meterStream({
        batches: parseResponseEvents(readSseBatches(opened), parseContext(opened)),
        upstream: opened.info,
        // Usage rides in the terminal event the client needs anyway: nothing to strip.
        clientWantsUsage: true,
        ctx,
        startedAtMs,
        reader: responseEventReader,
        estimatePromptTokens: () => estimateResponsesInputTokens(request),
      })
    },

    async listModels(ctx) {
      const opened = await openUpstream(transport, {
        request: {
          method: 'GET',
          url: endpoint.url('models', '', ctx),
          headers: headers(ctx, false),
        },
        ctx,
        dialect: openAIDialect,
      })
      const json = await readJsonBody(opened)
      if (!Array.isArray(json.data)) throw badBody(opened)
      return {
        data: (json.data as unknown[]).flatMap((m) => toModelInfo(m, kind)),
        upstream: opened.info,
      }
    },
  }
}

/** Ferry decides streaming per call: a non-streaming call sends neither flag upstream. */
function nonStreaming<R extends { stream?: boolean | null; stream_options?: unknown }>(
  request: R,
): R {
  if (request.stream !== true && request.stream_options === undefined) return request
  const { stream: _stream, stream_options: _options, ...rest } = request
  return rest as R
}

function result<Body extends { usage?: unknown }>(
  body: Body,
  opened: OpenedUpstream,
  estimate: () => TokenUsage,
): UpstreamResult<Body> {
  const reported = isCompletionUsage(body.usage)
  return {
    body,
    usage: reported
      ? fromCompletionUsage(body.usage as Parameters<typeof fromCompletionUsage>[0])
      : estimate(),
    usageSource: reported ? 'reported' : 'estimated',
    upstream: opened.info,
  }
}

function expectChoices<Body>(json: Record<string, unknown>, opened: OpenedUpstream): Body {
  if (!Array.isArray(json.choices)) throw badBody(opened)
  return json as Body
}

function badBody(opened: OpenedUpstream): UpstreamBadResponseError {
  return new UpstreamBadResponseError('unexpected JSON shape', {
    upstreamStatus: opened.info.status,
    upstreamRequestId: opened.info.requestId,
  })
}

function chatChoiceText(choice: ChatCompletion['choices'][number]): string {
  const message = choice.message as
    Partial<ChatCompletion['choices'][number]['message']> | undefined
  let text = typeof message?.content === 'string' ? message.content : ''
  for (const call of message?.tool_calls ?? []) text += call.function.name + call.function.arguments
  return text
}

function responseOutputText(body: ResponseObject): string {
  if (!Array.isArray(body.output)) return ''
  let text = ''
  for (const item of body.output as Array<Record<string, unknown>>) {
    if (typeof item.arguments === 'string') text += item.arguments
    if (Array.isArray(item.content)) {
      for (const part of item.content as Array<Record<string, unknown>>)
        if (typeof part.text === 'string') text += part.text
    }
  }
  return text
}

function toModelInfo(raw: unknown, kind: ProviderKind): ModelInfo[] {
  if (typeof raw !== 'object' || raw === null) return []
  const model = raw as Record<string, unknown>
  if (typeof model.id !== 'string') return []
  return [
    {
      ...model,
      id: model.id,
      object: 'model',
      created: typeof model.created === 'number' ? model.created : 0,
      owned_by: typeof model.owned_by === 'string' ? model.owned_by : kind,
    },
  ]
}
