import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { SecretText } from './secret-text.js'

describe('SecretText', () => {
  it('shows [redacted] in JSON, strings and inspection, and the value only through reveal()', () => {
    const secret = new SecretText('sk-CANARY-1234567890abcdef')
    const holder = { nested: { credential: secret } }
    expect(JSON.stringify(holder)).toBe('{"nested":{"credential":"[redacted]"}}')
    expect(String(secret)).toBe('[redacted]')
    expect(inspect(holder, { depth: 5 })).not.toContain('CANARY')
    expect(secret.reveal()).toBe('sk-CANARY-1234567890abcdef')
  })

  it('stays readable when frozen', () => {
    const secret = Object.freeze(new SecretText('value'))
    expect(secret.reveal()).toBe('value')
  })
})
