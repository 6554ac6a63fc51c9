import { countTextTokens, estimateChatPromptTokens } from '../count-tokens.js'
import type { ChatRequest } from '../openai-types.js'
import type { UpstreamInfo } from '../provider-adapter.js'
import { ZERO_USAGE } from '../token-usage.js'
import type { UpstreamContext } from '../upstream-context.js'
import { forcedToolCall, type MockAnswer } from './mock-bodies.js'
import type { MockSettings } from './mock-settings.js'
import { chunkText, mockReplyTokenCount, mockReplyTokens, promptSeed } from './mock-text.js'

/** One mock call once its "upstream" answered: model, settings, timing. */
export interface MockCall {
  model: string
  settings: MockSettings
  ctx: UpstreamContext
  info: UpstreamInfo
  startedAtMs: number
}

function lastUserText(request: ChatRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]
    if (message?.role === 'user') return JSON.stringify(message.content ?? '')
  }
  return ''
}

/** The mock's answer to a chat request: text, or the tool call the request forces. */
export function chatAnswer(request: ChatRequest, call: MockCall): MockAnswer {
  const answer = textAnswer({
    call,
    prompt: lastUserText(request),
    promptTokens: () => estimateChatPromptTokens(request),
    limit: request.max_completion_tokens ?? request.max_tokens ?? null,
    n: request.n,
  })
  const toolCall = forcedToolCall(request, answer.id)
  if (toolCall === null) return answer
  const completionTokens = countTextTokens(toolCall.function.name + toolCall.function.arguments)
  return {
    ...answer,
    toolCall,
    finishReason: 'tool_calls',
    usage: answer.usage && { ...answer.usage, completionTokens: completionTokens * answer.choices },
  }
}

/** A numeric request field, or null. */
export function numberOr(value: unknown): number | null {
  return typeof value === 'number' ? value : null
}

/** The mock's text answer for a prompt, capped by the request's token limit. */
export function textAnswer(spec: {
  call: MockCall
  prompt: string
  promptTokens: () => number
  limit: number | null
  n: number | null | undefined
}): MockAnswer {
  const { settings, ctx, model } = spec.call
  const fixed = settings.reply !== undefined
  let pieces = mockReplyTokens({
    seed: promptSeed(spec.prompt),
    tokens: settings.completionTokens,
    reply: settings.reply,
  })
  let finishReason: MockAnswer['finishReason'] = 'stop'
  if (spec.limit !== null && !fixed && pieces.length > spec.limit) {
    pieces = pieces.slice(0, Math.max(0, spec.limit))
    finishReason = 'length'
  }
  const choices = typeof spec.n === 'number' && spec.n > 1 ? Math.floor(spec.n) : 1
  const completionTokens = mockReplyTokenCount(pieces, fixed) * choices
  return {
    id: `chatcmpl-${ctx.requestId}`,
    model,
    createdSeconds: Math.floor(ctx.clock.nowMs() / 1000),
    chunks: chunkText(pieces, settings.chunkCount ?? pieces.length),
    text: pieces.join(''),
    choices,
    finishReason,
    toolCall: null,
    usage: settings.omitUsage
      ? null
      : { ...ZERO_USAGE, promptTokens: spec.promptTokens(), completionTokens },
  }
}
