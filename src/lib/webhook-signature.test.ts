import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  signWebhookBody,
  signatureTimestampSeconds,
  verifyWebhookSignature,
} from './webhook-signature.js'

const key = Buffer.alloc(32, 3)
const body = '{"id":"aud_1","topic":"audit","createdAt":"2026-01-01T00:00:00.000Z","payload":{}}'

describe('webhook signatures', () => {
  it('is t=<seconds>,v1=HMAC-SHA256(key, "<seconds>.<body>") in hex', () => {
    const header = signWebhookBody({ key, timestampSeconds: 1767225600, body })
    const mac = createHmac('sha256', key).update(`1767225600.${body}`).digest('hex')
    expect(header).toBe(`t=1767225600,v1=${mac}`)
    expect(signatureTimestampSeconds(header)).toBe(1767225600)
  })

  it('verifies its own signature and nothing else', () => {
    const header = signWebhookBody({ key, timestampSeconds: 1767225600, body })
    expect(verifyWebhookSignature({ key, header, body })).toBe(true)
    expect(verifyWebhookSignature({ key, header, body: `${body} ` })).toBe(false)
    expect(verifyWebhookSignature({ key: Buffer.alloc(32, 4), header, body })).toBe(false)
    expect(verifyWebhookSignature({ key, header: header.replace('t=1', 't=2'), body })).toBe(false)
    expect(verifyWebhookSignature({ key, header: 'v1=abc', body })).toBe(false)
    expect(signatureTimestampSeconds('nonsense')).toBeNull()
  })
})
