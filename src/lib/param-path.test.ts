import { describe, expect, it } from 'vitest'
import { PARAM_KEY_MAX_CHARS, formatParamPath } from './param-path.js'

describe('formatParamPath: param as OpenAI names a nested field', () => {
  it('keeps a top-level name as it is', () => {
    expect(formatParamPath(['temperature'])).toBe('temperature')
  })

  it('puts array indices in brackets and joins object keys with dots', () => {
    expect(formatParamPath(['tools', 0])).toBe('tools[0]')
    expect(formatParamPath(['messages', 0, 'role'])).toBe('messages[0].role')
    expect(formatParamPath(['tools', 2, 'function', 'name'])).toBe('tools[2].function.name')
    expect(formatParamPath(['stream_options', 'include_usage'])).toBe(
      'stream_options.include_usage',
    )
    expect(formatParamPath(['input', 1, 0])).toBe('input[1][0]')
  })

  it('keeps a record key that looks like a number a key (logit_bias token IDs)', () => {
    expect(formatParamPath(['logit_bias', '50256'])).toBe('logit_bias.50256')
  })

  it('cuts a key too long to repeat, and marks the cut', () => {
    const key = 'k'.repeat(PARAM_KEY_MAX_CHARS + 200)
    expect(formatParamPath(['metadata', key])).toBe(`metadata.${'k'.repeat(PARAM_KEY_MAX_CHARS)}…`)
    expect(formatParamPath(['metadata', 'k'.repeat(PARAM_KEY_MAX_CHARS)])).toBe(
      `metadata.${'k'.repeat(PARAM_KEY_MAX_CHARS)}`,
    )
  })
})
