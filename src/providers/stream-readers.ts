import type { StreamItemReader } from './metered-stream.js'
import type { ChatChunk, Completion, ResponseObject, ResponseStreamEvent } from './openai-types.js'
import {
  fromCompletionUsage,
  fromResponseUsage,
  isCompletionUsage,
  toCompletionUsage,
} from './token-usage.js'

/** How the meter reads `chat.completion.chunk`s, whatever the adapter. */
export const chatChunkReader: StreamItemReader<ChatChunk> = {
  usageOf: (chunk) => (isCompletionUsage(chunk.usage) ? fromCompletionUsage(chunk.usage) : null),
  textOf(chunk) {
    let text = ''
    for (const choice of chunk.choices) {
      const { delta } = choice
      if (typeof delta.content === 'string') text += delta.content
      if (typeof delta.refusal === 'string') text += delta.refusal
      // Reasoning text some OpenAI-compatible servers stream (vLLM, DeepSeek) is billed output.
      if (typeof delta.reasoning_content === 'string') text += delta.reasoning_content
      for (const call of delta.tool_calls ?? []) {
        text += call.function?.name ?? ''
        text += call.function?.arguments ?? ''
      }
    }
    return text
  },
  usageItem: (last, usage) => ({
    id: last.id,
    object: 'chat.completion.chunk',
    created: last.created,
    model: last.model,
    choices: [],
    usage: toCompletionUsage(usage),
  }),
}

/** How the meter reads legacy `text_completion` stream events. */
export const completionChunkReader: StreamItemReader<Completion> = {
  usageOf: (chunk) => (isCompletionUsage(chunk.usage) ? fromCompletionUsage(chunk.usage) : null),
  textOf: (chunk) => chunk.choices.map((choice) => choice.text).join(''),
  usageItem: (last, usage) => ({
    id: last.id,
    object: 'text_completion',
    created: last.created,
    model: last.model,
    choices: [],
    usage: toCompletionUsage(usage),
  }),
}

const TERMINAL_RESPONSE_EVENTS = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
])
const TEXT_DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
])

/** How the meter reads Responses API events: usage sits in the terminal event's `response`. */
export const responseEventReader: StreamItemReader<ResponseStreamEvent> = {
  usageOf(event) {
    if (!TERMINAL_RESPONSE_EVENTS.has(event.type)) return null
    const usage = (event.response as ResponseObject | undefined)?.usage
    return usage ? fromResponseUsage(usage) : null
  },
  textOf: (event) =>
    TEXT_DELTA_EVENTS.has(event.type) && typeof event.delta === 'string' ? event.delta : '',
}
