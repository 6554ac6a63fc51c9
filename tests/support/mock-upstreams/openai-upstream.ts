import type { ServerResponse } from 'node:http'
import {
  startMockServer,
  writeSse,
  type MockServerControls,
  type RecordedRequest,
} from './mock-server.js'
import {
  MOCK_CREATED,
  MOCK_REPLY,
  OPENAI_STREAM_ERROR,
  chatCompletionBody,
  chatStreamEvents,
  completionBody,
  completionStreamEvents,
  embeddingsBody,
  openAIError,
  responseBody,
  responseStreamEvents,
} from './openai-wire.js'

export interface OpenAIUpstreamOptions {
  /** Required bearer credential; any credential is accepted when unset. */
  apiKey?: string
  /** The assistant's reply. @default MOCK_REPLY */
  replyText?: string
  /** Answer float vectors even when base64 was asked for (a non-conforming server). */
  ignoreEncodingFormat?: boolean
}

export interface OpenAIUpstream extends MockServerControls {
  /** `<origin>/v1`, what an `openai` provider account's baseUrl would be. */
  baseUrl: string
}

/** Which OpenAI operation a request path asks for; Azure maps its deployment paths onto these. */
export type OpenAIRoute = 'chat' | 'completions' | 'embeddings' | 'responses' | 'models' | null

/**
 * A local OpenAI: chat (JSON and SSE, with and without usage, tool calls when `tool_choice` is
 * `required`), legacy completions, embeddings (float and base64), responses (JSON and named
 * events) and models, with the faults of `setFault`.
 */
export async function startOpenAIUpstream(
  options: OpenAIUpstreamOptions = {},
): Promise<OpenAIUpstream> {
  const controls: MockServerControls = await startMockServer((req, res, recorded) => {
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(
        res,
        401,
        openAIError({
          message: `Incorrect API key provided: ${String(req.headers.authorization).slice(-8)}.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        }),
      )
    }
    return answerOpenAI({ route: openAIRoute(recorded.url), recorded, res, controls, options })
  })
  return { ...controls, baseUrl: `${controls.origin}/v1` }
}

function openAIRoute(url: string): OpenAIRoute {
  const path = url.split('?')[0]
  switch (path) {
    case '/v1/chat/completions':
      return 'chat'
    case '/v1/completions':
      return 'completions'
    case '/v1/embeddings':
      return 'embeddings'
    case '/v1/responses':
      return 'responses'
    case '/v1/models':
      return 'models'
    default:
      return null
  }
}

/** Answer one OpenAI operation (shared with the Azure mock). */
export async function answerOpenAI(call: {
  route: OpenAIRoute
  recorded: RecordedRequest
  res: ServerResponse
  controls: MockServerControls
  options: OpenAIUpstreamOptions
  /** Azure adds its own events to chat streams (content-filter annotations). */
  decorateChatStream?: (events: string[]) => string[]
}): Promise<void> {
  const { route, recorded, res, controls, options } = call
  const body = recorded.body ?? {}
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini'
  const text = options.replyText ?? MOCK_REPLY
  const fault = controls.fault()
  if (model === 'missing-model') {
    return sendJson(
      res,
      404,
      openAIError({
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      }),
    )
  }
  if (fault?.type === 'malformed' && fault.afterChunks === undefined && body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"id": "chatcmpl-broken", "choices": [')
    return
  }
  const usage = fault?.type !== 'no-usage'
  const includeUsage =
    usage &&
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
  const stream = body.stream === true
  const toolCall =
    body.tool_choice === 'required' && Array.isArray(body.tools)
      ? { id: 'call_mock1', name: toolName(body.tools), arguments: '{"city":"Zürich"}' }
      : undefined
  res.setHeader('x-request-id', 'req_upstream_mock')
  switch (route) {
    case 'chat':
      if (stream) {
        const events = chatStreamEvents({ model, text, includeUsage, toolCall })
        const decorated = call.decorateChatStream ? call.decorateChatStream(events) : events
        return writeSse(res, { events: decorated, controls, errorEvent: OPENAI_STREAM_ERROR })
      }
      return sendJson(res, 200, chatCompletionBody({ model, text, usage, toolCall }))
    case 'completions':
      if (stream)
        return writeSse(res, {
          events: completionStreamEvents({ model, text, includeUsage }),
          controls,
          errorEvent: OPENAI_STREAM_ERROR,
        })
      return sendJson(res, 200, completionBody({ model, text, usage }))
    case 'embeddings':
      return sendJson(
        res,
        200,
        embeddingsBody({
          model,
          input: body.input,
          dimensions: typeof body.dimensions === 'number' ? body.dimensions : 8,
          base64: body.encoding_format === 'base64' && options.ignoreEncodingFormat !== true,
        }),
      )
    case 'responses':
      if (stream) {
        return writeSse(res, {
          events: responseStreamEvents({ model, text }),
          controls,
          errorEvent: `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message: 'The server had an error.', param: null, sequence_number: 99 })}\n\n`,
        })
      }
      return sendJson(res, 200, responseBody({ model, text }))
    case 'models':
      return sendJson(res, 200, {
        object: 'list',
        data: [
          { id: 'gpt-4o-mini', object: 'model', created: MOCK_CREATED, owned_by: 'system' },
          {
            id: 'text-embedding-3-small',
            object: 'model',
            created: MOCK_CREATED,
            owned_by: 'system',
          },
        ],
      })
    case null:
      return sendJson(
        res,
        404,
        openAIError({
          message: `Invalid URL (${recorded.method} ${recorded.url})`,
          type: 'invalid_request_error',
          code: 'unknown_url',
        }),
      )
  }
}

function toolName(tools: unknown[]): string {
  const first = tools[0] as { function?: { name?: string } } | undefined
  return first?.function?.name ?? 'tool'
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
