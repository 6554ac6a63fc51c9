import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  countTextTokens,
  estimateChatPromptTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  estimateResponsesInputTokens,
} from './count-tokens.js'

describe('token estimates', () => {
  it('counts text with o200k_base, special-token text included', () => {
    expect(countTextTokens('')).toBe(0)
    expect(countTextTokens('hello world')).toBe(2)
    expect(countTextTokens('<|endoftext|>')).toBeGreaterThan(1)
  })

  it('counts chat prompts the way OpenAI frames messages', () => {
    // 3 priming + per message (3 + role + content): "Hi" and "user" are one token each.
    expect(
      estimateChatPromptTokens({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }),
    ).toBe(3 + 3 + 1 + 1)
    const withImage = estimateChatPromptTokens({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
          ],
        },
      ],
    })
    expect(withImage).toBe(3 + 3 + 1 + 85)
  })

  it('counts tools and tool calls', () => {
    const plain = estimateChatPromptTokens({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    const withTools = estimateChatPromptTokens({
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    })
    expect(withTools).toBeGreaterThan(plain + 10)
  })

  it('counts legacy prompts, token arrays and embedding inputs', () => {
    expect(estimateCompletionPromptTokens({ model: 'm', prompt: [1, 2, 3] })).toBe(3)
    expect(estimateCompletionPromptTokens({ model: 'm', prompt: ['hello world', 'hi'] })).toBe(3)
    expect(estimateEmbeddingTokens({ model: 'm', input: [[1, 2], [3]] })).toBe(3)
    expect(
      estimateResponsesInputTokens({
        model: 'm',
        instructions: 'hi',
        input: [{ role: 'user', content: 'hello world' }],
      }),
    ).toBeGreaterThan(3)
  })
})

describe('remembered prompt counts', () => {
  it('count a repeated prompt text exactly as the encoder does, before and after eviction', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 40 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (texts) => {
          for (const text of [...texts, ...texts])
            expect(estimateCompletionPromptTokens({ model: 'm', prompt: text })).toBe(
              countTextTokens(text),
            )
        },
      ),
      { numRuns: 200 },
    )
    // More distinct texts than are remembered, then the first ones again; and one too long to keep.
    const many = Array.from({ length: 1500 }, (_, i) => `system prompt number ${i} ✓`)
    for (const text of [...many, ...many.slice(0, 10)])
      expect(estimateCompletionPromptTokens({ model: 'm', prompt: text })).toBe(
        countTextTokens(text),
      )
    const long = 'lorem ipsum dolor '.repeat(400)
    expect(estimateCompletionPromptTokens({ model: 'm', prompt: long })).toBe(countTextTokens(long))
  })
})
