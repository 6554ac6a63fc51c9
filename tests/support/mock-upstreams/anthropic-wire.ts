import { MOCK_REPLY, replyPieces } from './openai-wire.js'

/**
 * Anthropic's Messages wire format as the real API writes it: named SSE events (message_start,
 * content_block_*, ping, message_delta with cumulative usage, message_stop) and its error
 * envelope. Used by the Anthropic mock upstream and the recorded fixtures.
 */

/** input 21 uncached + 10 cache reads + 3 cache writes: OpenAI prompt_tokens 34, cached 10. */
export const ANTHROPIC_INPUT_USAGE = {
  input_tokens: 21,
  cache_creation_input_tokens: 3,
  cache_read_input_tokens: 10,
}

export const namedEvent = (type: string, data: Record<string, unknown>): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`

export const ANTHROPIC_OVERLOADED_EVENT = namedEvent('error', {
  error: { type: 'overloaded_error', message: 'Overloaded' },
})

export function anthropicError(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: 'req_anthropic_mock' }
}

export interface AnthropicReplySpec {
  model: string
  text?: string
  toolUse?: { id: string; name: string; inputJson: string }
  /** Start with a thinking block (its deltas must not reach chat content). */
  thinking?: boolean
  stopReason?: string
}

/** The SSE events of one streamed message. */
export function anthropicStreamEvents(spec: AnthropicReplySpec): string[] {
  const text = spec.text ?? MOCK_REPLY
  const events = [
    namedEvent('message_start', {
      message: {
        id: 'msg_mock',
        type: 'message',
        role: 'assistant',
        model: spec.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...ANTHROPIC_INPUT_USAGE, output_tokens: 1 },
      },
    }),
  ]
  let index = 0
  let outputTokens = 0
  if (spec.thinking) {
    events.push(
      namedEvent('content_block_start', {
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      namedEvent('content_block_delta', {
        index,
        delta: { type: 'thinking_delta', thinking: 'Let me think.' },
      }),
      namedEvent('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: 'sig' },
      }),
      namedEvent('content_block_stop', { index }),
    )
    index++
    outputTokens += 4
  }
  events.push(
    namedEvent('content_block_start', { index, content_block: { type: 'text', text: '' } }),
  )
  events.push(namedEvent('ping', {}))
  for (const piece of replyPieces(text)) {
    events.push(
      namedEvent('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }),
    )
    outputTokens++
  }
  events.push(namedEvent('content_block_stop', { index }))
  if (spec.toolUse) {
    index++
    events.push(
      namedEvent('content_block_start', {
        index,
        content_block: {
          type: 'tool_use',
          id: spec.toolUse.id,
          name: spec.toolUse.name,
          input: {},
        },
      }),
      namedEvent('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: '' },
      }),
    )
    for (const piece of spec.toolUse.inputJson.match(/.{1,5}/gsu) ?? []) {
      events.push(
        namedEvent('content_block_delta', {
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        }),
      )
      outputTokens++
    }
    events.push(namedEvent('content_block_stop', { index }))
  }
  events.push(
    namedEvent('message_delta', {
      delta: {
        stop_reason: spec.stopReason ?? (spec.toolUse ? 'tool_use' : 'end_turn'),
        stop_sequence: null,
      },
      usage: { output_tokens: outputTokens },
    }),
    namedEvent('message_stop', {}),
  )
  return events
}

/** The whole message (`stream: false`). */
export function anthropicMessageBody(spec: AnthropicReplySpec) {
  const text = spec.text ?? MOCK_REPLY
  const content: Record<string, unknown>[] = []
  if (spec.thinking) content.push({ type: 'thinking', thinking: 'Let me think.', signature: 'sig' })
  content.push({ type: 'text', text })
  if (spec.toolUse)
    content.push({
      type: 'tool_use',
      id: spec.toolUse.id,
      name: spec.toolUse.name,
      input: JSON.parse(spec.toolUse.inputJson) as unknown,
    })
  return {
    id: 'msg_mock',
    type: 'message',
    role: 'assistant',
    model: spec.model,
    content,
    stop_reason: spec.stopReason ?? (spec.toolUse ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      ...ANTHROPIC_INPUT_USAGE,
      output_tokens: (spec.thinking ? 4 : 0) + replyPieces(text).length,
      service_tier: 'standard',
    },
  }
}
