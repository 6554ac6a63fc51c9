import { describe, expect, it } from 'vitest'
import { redactDiff } from './redact-diff.js'

describe('redactDiff', () => {
  it('keeps only allow-listed fields and replaces secrets by a reference', () => {
    const secret = 'fk_live_abcdefghijklmnopqrstuvwxyz0123456789'
    const out = redactDiff('api_key', {
      name: 'prod',
      secret: { secret, label: 'fk_live_…6789', id: 'key_1' },
      hash: 'deadbeef',
      internal: 'x',
    })
    expect(out).toEqual({
      name: 'prod',
      secret: {
        redacted: true,
        label: 'fk_live_…6789',
        id: 'key_1',
        sha256Prefix: expect.stringMatching(/^[0-9a-f]{12}$/) as unknown,
      },
    })
    expect(JSON.stringify(out)).not.toContain(secret)
  })

  it('scrubs credential-shaped text inside allowed fields', () => {
    const out = redactDiff('organization', {
      name: 'Acme sk-canary1234567890abcdef',
      metadata: { note: 'Bearer abcdefghijklmnop' },
    })
    expect(JSON.stringify(out)).not.toContain('canary1234567890')
    expect(JSON.stringify(out)).not.toContain('abcdefghijklmnop')
  })

  it('turns bigint amounts into decimal strings', () => {
    expect(redactDiff('ledger_entry', { amountMicros: 12345678901234567890n })).toEqual({
      amountMicros: '12345678901234567890',
    })
  })
})
