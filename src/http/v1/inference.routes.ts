import type { FastifyInstance } from 'fastify'
import {
  isUsageOnlyChunk,
  rawJsonOf,
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  type Completion,
  type CompletionRequest,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type ResponseObject,
  type ResponseStreamEvent,
  type ResponsesRequest,
} from '../../providers/index.js'
import {
  serveUpstreamCall,
  type UpstreamCallDeps,
  type UpstreamEndpoint,
} from './serve-upstream-call.js'
import { DONE_FRAME, dataFrame, eventFrame } from './sse.js'
import {
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingsRequest,
  parseResponsesRequest,
} from './v1.schemas.js'

type ErrorObject = { message: string; type: string; param: string | null; code: string | null }

/** A mid-stream failure on a data-only stream: OpenAI's error chunk, then `[DONE]` as OpenAI does. */
const dataErrorFrame = (error: ErrorObject) => dataFrame(JSON.stringify({ error })) + DONE_FRAME

/** Chat and completions chunks: drop the usage chunk nobody asked for; name the served model. */
function frameChunk<T extends ChatChunk | Completion>(
  chunk: T,
  stream: { clientWantsUsage: boolean },
  served: (reported: unknown) => string,
): string | null {
  if (!stream.clientWantsUsage && isUsageOnlyChunk(chunk)) return null
  // A chunk that already names its model goes out as the upstream wrote it.
  const raw = rawJsonOf(chunk)
  if (raw !== undefined && typeof chunk.model === 'string' && chunk.model !== '')
    return dataFrame(raw)
  chunk.model = served(chunk.model)
  return dataFrame(JSON.stringify(chunk))
}

const isStream = (body: { stream?: boolean | null }) => body.stream === true

const chat: UpstreamEndpoint<ChatRequest, ChatCompletion, ChatChunk> = {
  endpoint: 'chat.completions',
  parse: parseChatRequest,
  isStream,
  call: (adapter, body, ctx) => adapter.chat(body, ctx),
  callStream: (adapter, body, ctx) => adapter.chatStream(body, ctx),
  frame: frameChunk,
  frameError: dataErrorFrame,
  trailer: DONE_FRAME,
}

const completions: UpstreamEndpoint<CompletionRequest, Completion, Completion> = {
  endpoint: 'completions',
  parse: parseCompletionRequest,
  isStream,
  call: (adapter, body, ctx) => adapter.completions(body, ctx),
  callStream: (adapter, body, ctx) => adapter.completionsStream(body, ctx),
  frame: frameChunk,
  frameError: dataErrorFrame,
  trailer: DONE_FRAME,
}

const embeddings: UpstreamEndpoint<EmbeddingsRequest, EmbeddingsResponse, never> = {
  endpoint: 'embeddings',
  parse: parseEmbeddingsRequest,
  isStream: () => false,
  call: (adapter, body, ctx) => adapter.embeddings(body, ctx),
  callStream: () => Promise.reject(new Error('embeddings do not stream')),
  frame: () => null,
  frameError: dataErrorFrame,
  trailer: '',
}

/** Responses API: named events; the terminal events carry the whole response. */
function frameResponseEvent(
  event: ResponseStreamEvent,
  _stream: unknown,
  served: (reported: unknown) => string,
): string {
  const response = event.response as { model?: unknown } | undefined
  if (typeof response === 'object' && response !== null && 'model' in response)
    response.model = served(response.model)
  return eventFrame(event.type, JSON.stringify(event))
}

const responses: UpstreamEndpoint<
  ResponsesRequest & { model: string },
  ResponseObject,
  ResponseStreamEvent
> = {
  endpoint: 'responses',
  parse: parseResponsesRequest,
  isStream,
  call: (adapter, body, ctx) => adapter.responses(body, ctx),
  callStream: (adapter, body, ctx) => adapter.responsesStream(body, ctx),
  frame: frameResponseEvent,
  // ResponseErrorEvent, as OpenAI ends a failed Responses stream (no `[DONE]` on this API).
  frameError: (error) =>
    eventFrame(
      'error',
      JSON.stringify({
        type: 'error',
        code: error.code,
        message: error.message,
        param: error.param,
        sequence_number: 0,
      }),
    ),
  trailer: '',
}

/** `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`. */
export function registerInferenceRoutes(app: FastifyInstance, deps: UpstreamCallDeps): void {
  app.post('/chat/completions', (request, reply) =>
    serveUpstreamCall(deps, chat, { request, reply }),
  )
  app.post('/completions', (request, reply) =>
    serveUpstreamCall(deps, completions, { request, reply }),
  )
  app.post('/embeddings', (request, reply) =>
    serveUpstreamCall(deps, embeddings, { request, reply }),
  )
  app.post('/responses', (request, reply) => serveUpstreamCall(deps, responses, { request, reply }))
}
