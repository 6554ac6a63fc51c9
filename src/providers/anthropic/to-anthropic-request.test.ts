import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../../lib/errors.js'
import type { ChatRequest } from '../openai-types.js'
import { toAnthropicRequest } from './to-anthropic-request.js'

const base: ChatRequest = {
  model: 'claude-sonnet-4-5',
  messages: [{ role: 'user', content: 'Hi' }],
}
const translate = (extra: Partial<ChatRequest>) =>
  toAnthropicRequest({ ...base, ...extra }, { defaultMaxTokens: 4096 })

function refusal(extra: Partial<ChatRequest>): InvalidRequestError {
  try {
    translate(extra)
  } catch (err) {
    if (err instanceof InvalidRequestError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('toAnthropicRequest', () => {
  it('defaults max_tokens, which Anthropic requires', () => {
    expect(translate({})).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    })
    expect(translate({ max_tokens: 50 }).max_tokens).toBe(50)
    expect(translate({ max_tokens: 50, max_completion_tokens: 70 }).max_tokens).toBe(70)
  })

  it('moves system and developer messages to the top-level system prompt', () => {
    const body = translate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
        { role: 'user', content: 'Hi' },
      ],
    })
    expect(body.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Use French.' },
    ])
    expect(body.messages).toHaveLength(1)
  })

  it('translates images from data URLs and https URLs', () => {
    const body = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            {
              type: 'image_url',
              image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' },
            },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    })
    expect(body.messages[0]!.content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ])
  })

  it('translates tools, tool_choice, tool calls and tool results, merging consecutive turns', () => {
    const body = translate({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      messages: [
        { role: 'user', content: 'Weather in Bern and Zürich?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Bern"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Zürich"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '12°C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '14°C' }] },
        { role: 'user', content: 'Thanks' },
      ],
    })
    expect(body.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ])
    expect(body.tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
      disable_parallel_tool_use: true,
    })
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Bern and Zürich?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Bern' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Zürich' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '12°C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '14°C' }] },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ])
  })

  it('maps every tool_choice form', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }]
    expect(translate({ tools, tool_choice: 'auto' }).tool_choice).toEqual({ type: 'auto' })
    expect(translate({ tools, tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' })
    expect(translate({ tools, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' })
    expect(translate({ tools, parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    })
  })

  it('translates stop, temperature, top_p, user and json_schema output', () => {
    const body = translate({
      stop: 'END',
      temperature: 0.4,
      top_p: 0.9,
      user: 'end-user-7',
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object' } },
      },
    })
    expect(body).toMatchObject({
      stop_sequences: ['END'],
      temperature: 0.4,
      top_p: 0.9,
      metadata: { user_id: 'end-user-7' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    })
  })

  it('accepts parameters at their defaults and the ones that change nothing about the answer', () => {
    expect(() =>
      translate({
        n: 1,
        logprobs: false,
        top_logprobs: 0,
        frequency_penalty: 0,
        presence_penalty: 0,
        logit_bias: {},
        seed: null,
        store: false,
        metadata: { team: 'a' },
        prompt_cache_key: 'k',
        stream_options: { include_usage: true },
        service_tier: 'auto',
        modalities: ['text'],
        response_format: { type: 'text' },
      }),
    ).not.toThrow()
  })

  it.each([
    [{ n: 2 }, 'n', 'unsupported_value'],
    [{ logprobs: true }, 'logprobs', 'unsupported_value'],
    [{ top_logprobs: 3 }, 'top_logprobs', 'unsupported_value'],
    [{ logit_bias: { '50256': -100 } }, 'logit_bias', 'unsupported_parameter'],
    [{ frequency_penalty: 0.5 }, 'frequency_penalty', 'unsupported_value'],
    [{ seed: 0 }, 'seed', 'unsupported_value'],
    [{ temperature: 1.5 }, 'temperature', 'unsupported_value'],
    [{ response_format: { type: 'json_object' } }, 'response_format', 'unsupported_value'],
    [{ audio: { voice: 'alloy', format: 'mp3' } }, 'audio', 'unsupported_parameter'],
    [{ modalities: ['text', 'audio'] }, 'modalities', 'unsupported_value'],
    [{ service_tier: 'flex' }, 'service_tier', 'unsupported_value'],
    [{ store: true }, 'store', 'unsupported_value'],
    [{ some_new_openai_field: 1 }, 'some_new_openai_field', 'unsupported_parameter'],
    [{ tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type', 'unsupported_value'],
  ] as const)('refuses %j with 400 naming %s', (extra, param, code) => {
    const err = refusal(extra as Partial<ChatRequest>)
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param, code })
  })

  it('refuses content it cannot carry, naming where it is', () => {
    expect(
      refusal({
        messages: [
          {
            role: 'user',
            content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }],
          },
        ],
      }),
    ).toMatchObject({ param: 'messages[0].content[0]' })
    expect(
      refusal({
        messages: [
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c', type: 'function', function: { name: 'f', arguments: '{not json' } },
            ],
          },
        ],
      }),
    ).toMatchObject({ param: 'messages[0].tool_calls[0].function.arguments' })
    expect(refusal({ messages: [{ role: 'tool', content: 'x' }] })).toMatchObject({
      param: 'messages[0].tool_call_id',
    })
  })
})
