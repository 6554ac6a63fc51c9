import {
  ANTHROPIC_OVERLOADED_EVENT,
  anthropicError,
  anthropicMessageBody,
  anthropicStreamEvents,
} from './anthropic-wire.js'
import { startMockServer, writeSse, type MockServerControls } from './mock-server.js'
import { sendJson } from './openai-upstream.js'

export interface AnthropicUpstreamOptions {
  /** Required `x-api-key`; any key is accepted when unset. */
  apiKey?: string
  replyText?: string
  /** Start replies with a thinking block. */
  thinking?: boolean
}

/**
 * A local Anthropic: `POST /v1/messages` (JSON and named-event SSE) and `GET /v1/models`, with
 * Anthropic's checks (x-api-key, anthropic-version, max_tokens required) and error envelope.
 * When `tool_choice` is `any` or `tool`, the reply ends with a tool_use block. Faults as in
 * mock-server.ts; the in-band stream error is `event: error` (overloaded_error).
 */
export async function startAnthropicUpstream(
  options: AnthropicUpstreamOptions = {},
): Promise<MockServerControls> {
  const controls: MockServerControls = await startMockServer((req, res, recorded) => {
    res.setHeader('request-id', 'req_anthropic_mock')
    if (options.apiKey !== undefined && req.headers['x-api-key'] !== options.apiKey)
      return sendJson(res, 401, anthropicError('authentication_error', 'invalid x-api-key'))
    if (typeof req.headers['anthropic-version'] !== 'string')
      return sendJson(
        res,
        400,
        anthropicError('invalid_request_error', 'anthropic-version: header is required'),
      )
    const path = recorded.url.split('?')[0]
    if (recorded.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, {
        data: [
          {
            type: 'model',
            id: 'claude-sonnet-4-5',
            display_name: 'Claude Sonnet 4.5',
            created_at: '2025-09-29T00:00:00Z',
          },
        ],
        has_more: false,
        first_id: 'claude-sonnet-4-5',
        last_id: 'claude-sonnet-4-5',
      })
    }
    if (recorded.method !== 'POST' || path !== '/v1/messages')
      return sendJson(res, 404, anthropicError('not_found_error', 'Not found'))
    const body = recorded.body ?? {}
    if (typeof body.max_tokens !== 'number')
      return sendJson(
        res,
        400,
        anthropicError('invalid_request_error', 'max_tokens: Field required'),
      )
    const model = String(body.model)
    if (model === 'missing-model')
      return sendJson(res, 404, anthropicError('not_found_error', `model: ${model}`))
    if (model === 'long-prompt')
      return sendJson(
        res,
        400,
        anthropicError(
          'invalid_request_error',
          'prompt is too long: 215000 tokens > 200000 maximum',
        ),
      )
    const choice = body.tool_choice as { type?: string; name?: string } | undefined
    const tools = (body.tools ?? []) as Array<{ name: string }>
    const toolUse =
      choice?.type === 'any' || choice?.type === 'tool'
        ? {
            id: 'toolu_mock1',
            name: choice.name ?? tools[0]?.name ?? 'tool',
            inputJson: '{"city":"Zürich"}',
          }
        : undefined
    const spec = { model, text: options.replyText, toolUse, thinking: options.thinking }
    const fault = controls.fault()
    if (fault?.type === 'malformed' && fault.afterChunks === undefined && body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"id": "msg_broken", "content": [')
      return
    }
    if (body.stream === true)
      return writeSse(res, {
        events: anthropicStreamEvents(spec),
        controls,
        errorEvent: ANTHROPIC_OVERLOADED_EVENT,
      })
    return sendJson(res, 200, anthropicMessageBody(spec))
  })
  return controls
}
