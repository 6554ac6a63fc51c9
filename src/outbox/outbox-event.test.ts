import { describe, expect, it } from 'vitest'
import { WEBHOOK_TOPICS } from '../config/config.schema.js'
import { OUTBOX_TOPICS, enabledOutboxTopics, toPayloadJson, webhookBodyOf } from './outbox-event.js'

describe('outbox events', () => {
  it('offers the config exactly the topics it carries', () => {
    expect([...WEBHOOK_TOPICS]).toEqual([...OUTBOX_TOPICS])
  })

  it('enables no topic without a webhook URL', () => {
    expect(enabledOutboxTopics({ topics: ['audit', 'usage'] }).size).toBe(0)
    expect([
      ...enabledOutboxTopics({ url: 'https://hooks.example.com', topics: ['audit'] }),
    ]).toEqual(['audit'])
  })

  it('posts {id, topic, createdAt, payload} around the stored payload, money as strings', () => {
    const payload_json = toPayloadJson({ costMicros: 12_345_678_901_234_567n, model: 'gpt' })
    const body = webhookBodyOf({
      event_id: 'req_1',
      topic: 'usage',
      created_at: '2026-01-01T00:00:00.000Z',
      payload_json,
    })
    expect(JSON.parse(body)).toEqual({
      id: 'req_1',
      topic: 'usage',
      createdAt: '2026-01-01T00:00:00.000Z',
      payload: { costMicros: '12345678901234567', model: 'gpt' },
    })
  })
})
