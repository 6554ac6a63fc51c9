import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailableError } from './database-unavailable.js'

describe('isDatabaseUnavailableError', () => {
  it('recognizes refused, reset and timed-out connections, and PostgreSQL shutting down', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code })
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006'])
      expect(isDatabaseUnavailableError(coded(code)), code).toBe(true)
    expect(isDatabaseUnavailableError(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isDatabaseUnavailableError(new Error('timeout exceeded when trying to connect'))).toBe(
      true,
    )
  })

  it('looks through wrapping errors (a failed audit write, an AggregateError of addresses)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(isDatabaseUnavailableError(new Error('audit', { cause: refused }))).toBe(true)
    expect(isDatabaseUnavailableError(new AggregateError([refused]))).toBe(true)
  })

  it('leaves query errors alone: a constraint violation is not an outage', () => {
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' })
    expect(isDatabaseUnavailableError(unique)).toBe(false)
    expect(isDatabaseUnavailableError('ECONNREFUSED')).toBe(false)
    expect(isDatabaseUnavailableError(null)).toBe(false)
  })
})
