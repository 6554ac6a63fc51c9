import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { classifyTransportError } from '../providers/classify-failure.js'
import { formatParamPath } from '../lib/param-path.js'
import { toOpenAIError, zodToInvalidRequest } from './openai-error.js'

const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code })
const map = (err: unknown) => toOpenAIError(err, { bodyLimitBytes: 1024 })

describe('toOpenAIError: socket errors', () => {
  it('answers a refused or reset provider connection as the upstream’s failure, not the database’s', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH']) {
      const mapped = map(classifyTransportError(socketError(code), {}))
      expect(mapped.status, code).toBe(502)
      expect(mapped.body.error.code, code).toBe('upstream_unavailable')
    }
  })

  it('still answers a database connection failure 503 database_unavailable', () => {
    const mapped = map(socketError('ECONNREFUSED'))
    expect(mapped.status).toBe(503)
    expect(mapped.body.error.code).toBe('database_unavailable')
  })
})

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
})

describe('zodToInvalidRequest', () => {
  it('names a field inside an array the way OpenAI does, in param and message', () => {
    const schema = z.object({ messages: z.array(z.object({ role: z.string() })) })
    const parsed = schema.safeParse({ messages: [{ role: 'user' }, { role: 5 }] })
    if (parsed.success) throw new Error('accepted a numeric role')
    const err = zodToInvalidRequest(parsed.error)
    expect(err.param).toBe('messages[1].role')
    expect(err.message).toMatch(/^Invalid value for 'messages\[1\]\.role': /)
  })
})
