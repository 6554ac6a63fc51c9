import type {
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  ChatToolCall,
  Completion,
  ResponseObject,
  ResponseStreamEvent,
  ResponsesRequest,
} from '../openai-types.js'
import { toCompletionUsage, type TokenUsage } from '../token-usage.js'

/** What one mock answer consists of, whatever the endpoint. */
export interface MockAnswer {
  id: string
  model: string
  createdSeconds: number
  /** Stream pieces of each choice's text. */
  chunks: string[]
  text: string
  choices: number
  finishReason: 'stop' | 'length' | 'tool_calls'
  toolCall: ChatToolCall | null
  /** Null when the mock is set to report none. */
  usage: TokenUsage | null
}

/** The tool call a mock answers with when the request forces one. */
export function forcedToolCall(request: ChatRequest, id: string): ChatToolCall | null {
  const tools = Array.isArray(request.tools) ? request.tools : []
  const choice = request.tool_choice
  const named = typeof choice === 'object' && choice !== null ? choice.function?.name : undefined
  if (tools.length === 0 || (choice !== 'required' && named === undefined)) return null
  const name = named ?? tools[0]?.function?.name ?? 'tool'
  return { id: `call_${id.slice(-12)}`, type: 'function', function: { name, arguments: '{}' } }
}

/** The whole `chat.completion` of a mock answer. */
export function chatCompletion(answer: MockAnswer): ChatCompletion {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.createdSeconds,
    model: answer.model,
    choices: Array.from({ length: answer.choices }, (_, index) => ({
      index,
      message: {
        role: 'assistant' as const,
        content: answer.toolCall ? null : answer.text,
        refusal: null,
        annotations: [],
        ...(answer.toolCall ? { tool_calls: [answer.toolCall] } : {}),
      },
      logprobs: null,
      finish_reason: answer.finishReason,
    })),
    ...(answer.usage ? { usage: toCompletionUsage(answer.usage) } : {}),
  }
}

/** The chunks of a streamed chat answer: role, content (or the tool call), finish, usage. */
export function chatChunks(answer: MockAnswer, clientWantsUsage: boolean): ChatChunk[] {
  const base = {
    id: answer.id,
    object: 'chat.completion.chunk' as const,
    created: answer.createdSeconds,
    model: answer.model,
  }
  const usageField = clientWantsUsage ? { usage: null } : {}
  const chunk = (
    delta: ChatChunk['choices'][number]['delta'],
    finish: ChatChunk['choices'][number]['finish_reason'],
  ): ChatChunk => ({
    ...base,
    choices: Array.from({ length: answer.choices }, (_, index) => ({
      index,
      delta,
      logprobs: null,
      finish_reason: finish,
    })),
    ...usageField,
  })
  const out = [chunk({ role: 'assistant', content: '' }, null)]
  if (answer.toolCall) {
    const { id, function: fn } = answer.toolCall
    out.push(
      chunk(
        {
          tool_calls: [
            {
              index: 0,
              id,
              type: 'function',
              function: { name: fn.name, arguments: fn.arguments },
            },
          ],
        },
        null,
      ),
    )
  } else {
    for (const text of answer.chunks) out.push(chunk({ content: text }, null))
  }
  out.push(chunk({}, answer.finishReason))
  if (answer.usage) out.push({ ...base, choices: [], usage: toCompletionUsage(answer.usage) })
  return out
}

/** The whole legacy `text_completion` of a mock answer. */
export function completion(answer: MockAnswer): Completion {
  return {
    id: answer.id,
    object: 'text_completion',
    created: answer.createdSeconds,
    model: answer.model,
    choices: Array.from({ length: answer.choices }, (_, index) => ({
      text: answer.text,
      index,
      logprobs: null,
      finish_reason: answer.finishReason,
    })),
    ...(answer.usage ? { usage: toCompletionUsage(answer.usage) } : {}),
  }
}

/** The streamed `text_completion` events of a mock answer, usage last. */
export function completionChunks(answer: MockAnswer): Completion[] {
  const base = {
    id: answer.id,
    object: 'text_completion' as const,
    created: answer.createdSeconds,
    model: answer.model,
  }
  const choices = (text: string, finish: Completion['choices'][number]['finish_reason']) =>
    Array.from({ length: answer.choices }, (_, index) => ({
      text,
      index,
      logprobs: null,
      finish_reason: finish,
    }))
  const out: Completion[] = answer.chunks.map((text) => ({ ...base, choices: choices(text, null) }))
  out.push({ ...base, choices: choices('', answer.finishReason) })
  if (answer.usage) out.push({ ...base, choices: [], usage: toCompletionUsage(answer.usage) })
  return out
}

/** The Responses API `response` object of a mock answer. */
export function responseObject(answer: MockAnswer, request: ResponsesRequest): ResponseObject {
  const usage = answer.usage
  return {
    id: `resp_${answer.id}`,
    object: 'response',
    created_at: answer.createdSeconds,
    status: answer.finishReason === 'length' ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: answer.finishReason === 'length' ? { reason: 'max_output_tokens' } : null,
    instructions: typeof request.instructions === 'string' ? request.instructions : null,
    metadata: {},
    model: answer.model,
    output: [
      {
        type: 'message',
        id: `msg_${answer.id}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: answer.text, annotations: [], logprobs: [] }],
      },
    ],
    parallel_tool_calls: true,
    temperature: 1,
    top_p: 1,
    tool_choice: 'auto',
    tools: [],
    ...(usage
      ? {
          usage: {
            input_tokens: usage.promptTokens,
            input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
            output_tokens: usage.completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: usage.promptTokens + usage.completionTokens,
          },
        }
      : {}),
  }
}

/** The Responses API events of a text answer, in the order OpenAI sends them. */
export function responseEvents(
  answer: MockAnswer,
  request: ResponsesRequest,
): ResponseStreamEvent[] {
  const done = responseObject(answer, request)
  const { usage: _usage, ...started } = {
    ...done,
    status: 'in_progress',
    output: [],
    incomplete_details: null,
  }
  const itemId = `msg_${answer.id}`
  const at = { item_id: itemId, output_index: 0, content_index: 0 }
  const part = { type: 'output_text', text: '', annotations: [], logprobs: [] }
  const events: ResponseStreamEvent[] = [
    { type: 'response.created', response: started },
    { type: 'response.in_progress', response: started },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] },
    },
    { type: 'response.content_part.added', ...at, part },
    ...answer.chunks.map((delta) => ({
      type: 'response.output_text.delta',
      ...at,
      delta,
      logprobs: [],
    })),
    { type: 'response.output_text.done', ...at, text: answer.text, logprobs: [] },
    { type: 'response.content_part.done', ...at, part: { ...part, text: answer.text } },
    { type: 'response.output_item.done', output_index: 0, item: (done.output as unknown[])[0] },
    {
      type: done.status === 'incomplete' ? 'response.incomplete' : 'response.completed',
      response: done,
    },
  ]
  return events.map((event, sequence_number) => ({ ...event, sequence_number }))
}
