import type { ContractScenario } from '../provider-contract.js'
import {
  ANTHROPIC_OVERLOADED_EVENT,
  anthropicError,
  anthropicMessageBody,
  anthropicStreamEvents,
} from './anthropic-wire.js'
import {
  DONE,
  MOCK_REPLY,
  OPENAI_STREAM_ERROR,
  chatCompletionBody,
  chatStreamEvents,
  openAIError,
  sse,
} from './openai-wire.js'
import type { ConnectFailure, Recording } from './replay-transport.js'

/**
 * Upstream answers byte for byte, one per contract scenario and wire format. The streams are the
 * exact SSE text each provider writes (OpenAI's data-only events ending in `[DONE]`; Anthropic's
 * named events with ping and thinking blocks), so splitting them at any byte exercises the
 * decoder and the translation together.
 */
export type RecordingSet = Record<ContractScenario, Recording | ConnectFailure>

const MODEL = 'gpt-4o-mini'
const TOOL = { id: 'call_rec1', name: 'get_weather', arguments: '{"city":"Zürich","unit":"°C"}' }
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Recording => ({
  status,
  headers: { 'content-type': 'application/json', 'x-request-id': 'req_recorded', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const stream = (events: string[], extra: Partial<Recording> = {}): Recording => ({
  status: 200,
  headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_recorded' },
  body: events.join(''),
  ...extra,
})

/** OpenAI (and every OpenAI-compatible server). */
export function openAIRecordings(options: { prefixEvents?: string[] } = {}): RecordingSet {
  const prefix = options.prefixEvents ?? []
  const full = [
    ...prefix,
    ...chatStreamEvents({ model: MODEL, text: MOCK_REPLY, includeUsage: true }),
  ]
  const cut = prefix.length + 3
  return {
    stream: stream(full),
    'stream-no-usage': stream([
      ...prefix,
      ...chatStreamEvents({ model: MODEL, text: MOCK_REPLY, includeUsage: false }),
    ]),
    'stream-tool-call': stream([
      ...prefix,
      ...chatStreamEvents({ model: MODEL, text: '', includeUsage: true, toolCall: TOOL }),
    ]),
    'stream-error': stream([...full.slice(0, cut), OPENAI_STREAM_ERROR, DONE]),
    'stream-malformed': stream([
      ...full.slice(0, cut),
      'data: {"id":"chatcmpl-mock","choices":[{"index":0,"delta":{"content":"x"\n\n',
      ...full.slice(cut),
    ]),
    'stream-truncated': stream(full.slice(0, cut + 1)),
    'stream-reset': stream(full.slice(0, cut), { failAfterBody: 'ECONNRESET' }),
    json: json(200, chatCompletionBody({ model: MODEL, text: MOCK_REPLY, usage: true })),
    'json-malformed': json(200, '{"id":"chatcmpl-broken","object":"chat.completion","choices":['),
    'status-429': json(
      429,
      openAIError({
        message:
          'Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      }),
      { 'retry-after': '3' },
    ),
    'status-500': json(
      500,
      openAIError({
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        code: null,
      }),
    ),
    'status-overloaded': json(
      503,
      openAIError({
        message: 'The engine is currently overloaded, please try again later.',
        type: 'server_error',
        code: null,
      }),
    ),
    'status-400-context': json(
      400,
      openAIError({
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      }),
    ),
    'status-404-model': json(
      404,
      openAIError({
        message: 'The model `gpt-nope` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        code: 'model_not_found',
      }),
    ),
    'status-401': json(
      401,
      openAIError({
        message: 'Incorrect API key provided: sk-test-***cret.',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      }),
    ),
    'connect-refused': { connectError: 'ECONNREFUSED' },
    'headers-timeout': { connectError: 'UND_ERR_HEADERS_TIMEOUT' },
  }
}

/** Azure OpenAI: OpenAI's bytes, with its content-filter chunk first in every stream. */
export function azureRecordings(): RecordingSet {
  const filter = sse({
    choices: [],
    created: 0,
    id: '',
    model: '',
    object: '',
    prompt_filter_results: [
      { prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } },
    ],
  })
  const set = openAIRecordings({ prefixEvents: [filter] })
  for (const recording of Object.values(set))
    if ('headers' in recording && recording.headers)
      recording.headers = { ...recording.headers, 'apim-request-id': 'apim-recorded' }
  set['status-404-model'] = json(404, {
    error: {
      code: 'DeploymentNotFound',
      message: 'The API deployment for this resource does not exist.',
    },
  })
  return set
}

const CLAUDE = 'claude-sonnet-4-5'

/** Anthropic Messages. */
export function anthropicRecordings(): RecordingSet {
  const full = anthropicStreamEvents({ model: CLAUDE, thinking: true })
  const withHeaders = (r: Recording): Recording => ({
    ...r,
    headers: { ...r.headers, 'request-id': 'req_anthropic_recorded' },
  })
  const stripUsage = (events: string[]) =>
    events.map((e) =>
      e.includes('"message_start"') || e.includes('"message_delta"')
        ? e.replace(/,"usage":\{[^}]*\}/, '')
        : e,
    )
  // message_start, the thinking block, the text block's start, a ping and two text deltas.
  const cut = 9
  const error = (status: number, [type, message]: [string, string], headers = {}) =>
    withHeaders(json(status, anthropicError(type, message), headers))
  return {
    stream: withHeaders(stream(full)),
    'stream-no-usage': withHeaders(stream(stripUsage(full))),
    'stream-tool-call': withHeaders(
      stream(
        anthropicStreamEvents({
          model: CLAUDE,
          text: 'Let me check.',
          toolUse: { id: TOOL.id, name: TOOL.name, inputJson: TOOL.arguments },
        }),
      ),
    ),
    'stream-error': withHeaders(stream([...full.slice(0, cut), ANTHROPIC_OVERLOADED_EVENT])),
    'stream-malformed': withHeaders(
      stream([
        ...full.slice(0, cut),
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta"\n\n',
        ...full.slice(cut),
      ]),
    ),
    'stream-truncated': withHeaders(stream(full.slice(0, -2))),
    'stream-reset': withHeaders(stream(full.slice(0, cut), { failAfterBody: 'ECONNRESET' })),
    json: withHeaders(json(200, anthropicMessageBody({ model: CLAUDE, thinking: true }))),
    'json-malformed': withHeaders(json(200, '{"id":"msg_broken","type":"message","content":[')),
    'status-429': error(
      429,
      ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
      { 'retry-after': '3' },
    ),
    'status-500': error(500, ['api_error', 'Internal server error']),
    'status-overloaded': error(529, ['overloaded_error', 'Overloaded']),
    'status-400-context': error(400, [
      'invalid_request_error',
      'prompt is too long: 215000 tokens > 200000 maximum',
    ]),
    'status-404-model': error(404, ['not_found_error', 'model: claude-nope']),
    'status-401': error(401, ['authentication_error', 'invalid x-api-key']),
    'connect-refused': { connectError: 'ECONNREFUSED' },
    'headers-timeout': { connectError: 'UND_ERR_HEADERS_TIMEOUT' },
  }
}
