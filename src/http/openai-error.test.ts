import { describe, expect, it } from 'vitest'
import { classifyTransportError } from '../providers/classify-failure.js'
import { toOpenAIError } from './openai-error.js'

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
