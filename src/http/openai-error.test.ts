import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { classifyTransportError } from '../providers/classify-failure.js'
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
