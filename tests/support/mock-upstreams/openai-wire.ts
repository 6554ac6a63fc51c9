/**
 * OpenAI's wire format as the real API writes it (field order, `usage: null` on every chunk when
 * usage was asked for, the final `choices: []` usage chunk, `data: [DONE]`), for mock upstreams
 * and recorded fixtures.
 */

export const MOCK_CREATED = 1_767_225_600
/** The default reply: multi-byte characters on purpose (splits inside UTF-8 characters). */
export const MOCK_REPLY = 'Hello, wörld! 👋 Ferry ✓'

/** The usage the OpenAI mock reports: prompt 17 (5 of them cached), completion = chunk count. */
export function mockUsage(completionTokens: number) {
  return {
    prompt_tokens: 17,
    completion_tokens: completionTokens,
    total_tokens: 17 + completionTokens,
    prompt_tokens_details: { cached_tokens: 5, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

/** The reply cut into stream pieces at word boundaries (spaces stay with the next word). */
export function replyPieces(text: string): string[] {
  return text.split(/(?= )/u)
}

export const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`
export const DONE = 'data: [DONE]\n\n'

export const OPENAI_STREAM_ERROR = sse({
  error: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    param: null,
    code: null,
  },
})

export interface ChatStreamSpec {
  id?: string
  model: string
  text: string
  includeUsage: boolean
  toolCall?: { id: string; name: string; arguments: string }
}

/** The SSE events of a chat stream, one string per event. */
export function chatStreamEvents(spec: ChatStreamSpec): string[] {
  const base = {
    id: spec.id ?? 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: MOCK_CREATED,
    model: spec.model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  }
  const usageField = spec.includeUsage ? { usage: null } : {}
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sse({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...usageField,
    })
  const events = [chunk({ role: 'assistant', content: '', refusal: null }, null)]
  let completionTokens = 0
  if (spec.toolCall) {
    const { id, name, arguments: args } = spec.toolCall
    events.push(
      chunk(
        { tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] },
        null,
      ),
    )
    for (const piece of args.match(/.{1,4}/gsu) ?? []) {
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null))
      completionTokens++
    }
    events.push(chunk({}, 'tool_calls'))
  } else {
    for (const piece of replyPieces(spec.text)) {
      events.push(chunk({ content: piece }, null))
      completionTokens++
    }
    events.push(chunk({}, 'stop'))
  }
  if (spec.includeUsage)
    events.push(sse({ ...base, choices: [], usage: mockUsage(completionTokens) }))
  events.push(DONE)
  return events
}

/** A whole `chat.completion`. */
export function chatCompletionBody(
  spec: Omit<ChatStreamSpec, 'includeUsage'> & { usage: boolean },
) {
  const pieces = replyPieces(spec.text)
  return {
    id: spec.id ?? 'chatcmpl-mock',
    object: 'chat.completion',
    created: MOCK_CREATED,
    model: spec.model,
    choices: [
      {
        index: 0,
        message: spec.toolCall
          ? {
              role: 'assistant',
              content: null,
              refusal: null,
              annotations: [],
              tool_calls: [
                {
                  id: spec.toolCall.id,
                  type: 'function',
                  function: { name: spec.toolCall.name, arguments: spec.toolCall.arguments },
                },
              ],
            }
          : { role: 'assistant', content: spec.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: spec.toolCall ? 'tool_calls' : 'stop',
      },
    ],
    ...(spec.usage ? { usage: mockUsage(pieces.length) } : {}),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
    // An unknown field: Ferry must keep it.
    x_mock_extension: { kept: true },
  }
}

/** The SSE events of a legacy completions stream. */
export function completionStreamEvents(spec: {
  model: string
  text: string
  includeUsage: boolean
}): string[] {
  const base = {
    id: 'cmpl-mock',
    object: 'text_completion',
    created: MOCK_CREATED,
    model: spec.model,
  }
  const pieces = replyPieces(spec.text)
  const events = pieces.map((text) =>
    sse({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: null }] }),
  )
  events.push(
    sse({ ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }] }),
  )
  if (spec.includeUsage) events.push(sse({ ...base, choices: [], usage: mockUsage(pieces.length) }))
  events.push(DONE)
  return events
}

export function completionBody(spec: { model: string; text: string; usage: boolean }) {
  return {
    id: 'cmpl-mock',
    object: 'text_completion',
    created: MOCK_CREATED,
    model: spec.model,
    choices: [{ text: spec.text, index: 0, logprobs: null, finish_reason: 'stop' }],
    ...(spec.usage ? { usage: mockUsage(replyPieces(spec.text).length) } : {}),
  }
}

/** A deterministic vector per input: the same input always embeds the same. */
export function mockVector(input: string, dimensions: number): number[] {
  let seed = 0
  for (const ch of input) seed = (seed * 31 + (ch.codePointAt(0) ?? 0)) >>> 0
  return Array.from({ length: dimensions }, (_, i) => Math.fround(Math.sin(seed + i)))
}

export function embeddingsBody(spec: {
  model: string
  input: unknown
  dimensions: number
  base64: boolean
}) {
  const inputs = Array.isArray(spec.input) ? spec.input : [spec.input]
  return {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = mockVector(JSON.stringify(input), spec.dimensions)
      const embedding = spec.base64
        ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
        : vector
      return { object: 'embedding', index, embedding }
    }),
    model: spec.model,
    usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
  }
}

export function responseBody(spec: { model: string; text: string; status?: string }) {
  const outputTokens = replyPieces(spec.text).length
  return {
    id: 'resp_mock',
    object: 'response',
    created_at: MOCK_CREATED,
    status: spec.status ?? 'completed',
    error: null,
    incomplete_details: null,
    model: spec.model,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    top_p: 1,
    tool_choice: 'auto',
    tools: [],
    output: [
      {
        type: 'message',
        id: 'msg_mock',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: spec.text, annotations: [], logprobs: [] }],
      },
    ],
    usage: {
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 11 + outputTokens,
    },
  }
}

/** The named-event stream of the Responses API for a text reply. */
export function responseStreamEvents(spec: { model: string; text: string }): string[] {
  let sequence = 0
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: sequence++ })}\n\n`
  const done = responseBody(spec)
  const { usage: _usage, ...withoutUsage } = done
  const inProgress = { ...withoutUsage, status: 'in_progress', output: [] }
  const item = {
    type: 'message',
    id: 'msg_mock',
    status: 'in_progress',
    role: 'assistant',
    content: [],
  }
  const part = { type: 'output_text', text: '', annotations: [], logprobs: [] }
  const at = { item_id: 'msg_mock', output_index: 0, content_index: 0 }
  return [
    event('response.created', { response: inProgress }),
    event('response.in_progress', { response: inProgress }),
    event('response.output_item.added', { output_index: 0, item }),
    event('response.content_part.added', { ...at, part }),
    ...replyPieces(spec.text).map((delta) =>
      event('response.output_text.delta', { ...at, delta, logprobs: [] }),
    ),
    event('response.output_text.done', { ...at, text: spec.text, logprobs: [] }),
    event('response.content_part.done', { ...at, part: { ...part, text: spec.text } }),
    event('response.output_item.done', { output_index: 0, item: done.output[0] }),
    event('response.completed', { response: done }),
  ]
}

/** OpenAI's error envelope. */
export function openAIError(fields: {
  message: string
  type: string
  code: string | null
  param?: string | null
}) {
  return {
    error: {
      message: fields.message,
      type: fields.type,
      param: fields.param ?? null,
      code: fields.code,
    },
  }
}
