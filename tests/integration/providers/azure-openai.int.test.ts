import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createAzureOpenAIAdapter,
  createUndiciTransport,
  type ChatRequest,
} from '../../../src/providers/index.js'
import { startAzureUpstream } from '../../support/mock-upstreams/azure-upstream.js'
import type { MockServerControls } from '../../support/mock-upstreams/mock-server.js'
import { MOCK_REPLY } from '../../support/mock-upstreams/openai-wire.js'
import { collect, testContext } from '../../support/mock-upstreams/test-context.js'
import { assertMatchesSchema } from '../../support/openapi-validate.js'

const transport = createUndiciTransport()
const adapter = createAzureOpenAIAdapter({ transport })
let upstream: MockServerControls

const context = (
  settings: Record<string, unknown> = { deployments: { 'gpt-4o-mini': 'gpt-4o-mini-prod' } },
) =>
  testContext({
    kind: 'azure-openai',
    baseUrl: `${upstream.origin}/`,
    credential: 'azure-key',
    settings,
  })

const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
})

beforeAll(async () => {
  upstream = await startAzureUpstream({ apiKey: 'azure-key' })
})
afterEach(() => {
  upstream.setFault(null)
  upstream.requests.length = 0
})
afterAll(async () => {
  await transport.close()
  await upstream.close()
})

describe('azure-openai adapter against a local Azure resource', () => {
  it('calls the deployment URL with api-version and the api-key header', async () => {
    const result = await adapter.chat(chat(), context().ctx)
    const sent = upstream.requests[0]!
    expect(sent.url).toBe(
      '/openai/deployments/gpt-4o-mini-prod/chat/completions?api-version=2024-10-21',
    )
    expect(sent.headers['api-key']).toBe('azure-key')
    expect(sent.headers.authorization).toBeUndefined()
    expect(result.body.choices[0]!.message.content).toBe(MOCK_REPLY)
    expect(result.upstream.requestId).toBe('req_upstream_mock')
    assertMatchesSchema('CreateChatCompletionResponse', result.body)
  })

  it('drops Azure’s content-filter chunk so every chunk has OpenAI’s shape', async () => {
    const stream = await adapter.chatStream(chat({ stream: true }), context().ctx)
    const chunks = await collect(stream)
    for (const chunk of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', chunk)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(MOCK_REPLY)
    expect(stream.outcome()).toMatchObject({ status: 'completed', usageSource: 'reported' })
  })

  it('uses the model name as the deployment when no mapping is set', async () => {
    const err = await adapter.chat(chat(), context({}).ctx).catch((e: unknown) => e)
    expect(upstream.requests[0]!.url).toBe(
      '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
    )
    expect(err).toMatchObject({ kind: 'client_error', status: 404, code: 'DeploymentNotFound' })
  })

  it('serves embeddings and the Responses API (deployment in the body)', async () => {
    const embeddings = await adapter.embeddings(
      { model: 'gpt-4o-mini', input: 'x', encoding_format: 'base64' },
      context().ctx,
    )
    expect(upstream.requests[0]!.url).toBe(
      '/openai/deployments/gpt-4o-mini-prod/embeddings?api-version=2024-10-21',
    )
    expect(typeof embeddings.body.data[0]!.embedding).toBe('string')

    const response = await adapter.responses({ model: 'gpt-4o-mini', input: 'Hi' }, context().ctx)
    expect(upstream.requests[1]!.url).toBe('/openai/responses?api-version=2025-04-01-preview')
    expect(upstream.requests[1]!.body!.model).toBe('gpt-4o-mini-prod')
    expect(response.body.object).toBe('response')
  })

  it('treats a rejected api-key as Ferry’s problem, not the client’s', async () => {
    const { ctx } = context()
    ctx.account.credential = 'wrong'
    expect(await adapter.chat(chat(), ctx).catch((e: unknown) => e)).toMatchObject({
      status: 502,
      reason: 'authentication_failed',
    })
  })
})
