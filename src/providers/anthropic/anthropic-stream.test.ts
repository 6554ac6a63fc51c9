import { describe, expect, it } from 'vitest'
import type { SseEvent } from '../sse-decoder.js'
import { AnthropicStreamTranslator } from './anthropic-stream.js'

const ev = (type: string, data: Record<string, unknown> = {}): SseEvent => ({
  event: type,
  data: JSON.stringify({ type, ...data }),
  id: null,
})

function translator(clientWantsUsage = false) {
  return new AnthropicStreamTranslator({
    createdSeconds: 1_767_225_600,
    clientWantsUsage,
    credential: 'sk-ant-x',
    upstreamRequestId: 'req_a',
  })
}

const start = ev('message_start', {
  message: {
    id: 'msg_1',
    model: 'claude',
    usage: {
      input_tokens: 10,
      cache_read_input_tokens: 4,
      cache_creation_input_tokens: 2,
      output_tokens: 1,
    },
  },
})

describe('AnthropicStreamTranslator', () => {
  it('overwrites cumulative usage from message_delta and never sums it', () => {
    const t = translator()
    t.translate(start)
    t.translate(
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }),
    )
    t.translate(ev('message_delta', { delta: {}, usage: { output_tokens: 9, input_tokens: 12 } }))
    const [finish, usage] = t.translate(ev('message_stop'))
    expect(finish!.choices[0]!.finish_reason).toBe('stop')
    expect(usage!.usage).toMatchObject({
      prompt_tokens: 12 + 4 + 2,
      completion_tokens: 9,
      prompt_tokens_details: { cached_tokens: 4, cache_write_tokens: 2 },
    })
    t.end()
  })

  it('numbers tool calls from 0 over tool blocks only, whatever Anthropic’s block index', () => {
    const t = translator()
    t.translate(start)
    t.translate(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }))
    const [first] = t.translate(
      ev('content_block_start', {
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
      }),
    )
    expect(first!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } },
    ])
    expect(
      t.translate(
        ev('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '' },
        }),
      ),
    ).toEqual([])
    const [fragment] = t.translate(
      ev('content_block_delta', {
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"a"' },
      }),
    )
    expect(fragment!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, function: { arguments: '{"a"' } },
    ])
    const [second] = t.translate(
      ev('content_block_start', {
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} },
      }),
    )
    expect(second!.choices[0]!.delta.tool_calls![0]!.index).toBe(1)
  })

  it('ignores pings, thinking, signatures and unknown events', () => {
    const t = translator()
    t.translate(start)
    expect(t.translate(ev('ping'))).toEqual([])
    expect(
      t.translate(
        ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } }),
      ),
    ).toEqual([])
    expect(
      t.translate(
        ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 's' } }),
      ),
    ).toEqual([])
    expect(t.translate(ev('brand_new_event', { x: 1 }))).toEqual([])
  })

  it('maps stop reasons to finish reasons', () => {
    for (const [stop, finish] of [
      ['max_tokens', 'length'],
      ['tool_use', 'tool_calls'],
      ['refusal', 'content_filter'],
      ['stop_sequence', 'stop'],
      ['pause_turn', 'stop'],
      ['model_context_window_exceeded', 'length'],
    ]) {
      const t = translator()
      t.translate(start)
      t.translate(
        ev('message_delta', { delta: { stop_reason: stop }, usage: { output_tokens: 1 } }),
      )
      expect(t.translate(ev('message_stop'))[0]!.choices[0]!.finish_reason, stop).toBe(finish)
    }
  })

  it('puts usage: null on every chunk when the client asked for usage', () => {
    const t = translator(true)
    const [first] = t.translate(start)
    expect(first!.usage).toBeNull()
  })

  it('turns an error event into a classified error', () => {
    const t = translator()
    t.translate(start)
    expect(() =>
      t.translate(ev('error', { error: { type: 'rate_limit_error', message: 'slow down' } })),
    ).toThrow(expect.objectContaining({ kind: 'rate_limited' }))
  })

  it('calls a stream without message_stop cut off', () => {
    const t = translator()
    t.translate(start)
    expect(() => t.end()).toThrow(expect.objectContaining({ kind: 'bad_response' }))
  })
})
