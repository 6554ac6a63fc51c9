import { describe, expect, it } from 'vitest'
import { parseChatRequest, parseEmbeddingsRequest } from './v1.schemas.js'

describe('the /v1 body parsers', () => {
  it("answer the client's own body, its keys in the client's order", () => {
    const text =
      '{"stream":false,"x_future":{"b":1,"a":2},"messages":[{"content":"hi","role":"user"}],"model":"m"}'
    const body = JSON.parse(text) as unknown
    const parsed = parseChatRequest(body)
    expect(parsed).toBe(body)
    expect(JSON.stringify(parsed)).toBe(text)
    const embeddings = JSON.parse('{"input":"x","model":"e"}') as unknown
    expect(parseEmbeddingsRequest(embeddings)).toBe(embeddings)
  })
})
