import type { ChatCompletion, ChatToolCall, FinishReason } from '../openai-types.js'
import { toCompletionUsage, type TokenUsage } from '../token-usage.js'
import type { AnthropicResponse, AnthropicUsage } from './anthropic-types.js'

/**
 * Anthropic's stop reasons in OpenAI's words. `pause_turn` (a server tool paused a long turn)
 * has no equivalent; the turn did end, so it is `stop`.
 */
export function toFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'refusal':
      return 'content_filter'
    default:
      // end_turn, stop_sequence, pause_turn, null
      return 'stop'
  }
}

function n(value: number | null | undefined): number {
  return typeof value === 'number' && value > 0 ? value : 0
}

/**
 * Anthropic usage → Ferry's. `input_tokens` counts only the uncached part, so the prompt is
 * input + cache reads + cache writes; cache reads are OpenAI's `cached_tokens`.
 */
export function fromAnthropicUsage(usage: AnthropicUsage): TokenUsage {
  const cachedTokens = n(usage.cache_read_input_tokens)
  const cacheWriteTokens = n(usage.cache_creation_input_tokens)
  return {
    promptTokens: n(usage.input_tokens) + cachedTokens + cacheWriteTokens,
    cachedTokens,
    cacheWriteTokens,
    completionTokens: n(usage.output_tokens),
    reasoningTokens: n(usage.output_tokens_details?.thinking_tokens),
  }
}

/** Whether a usage object carries counts at all (a proxy may strip them). */
export function hasCounts(usage: AnthropicUsage | null | undefined): boolean {
  return typeof usage?.input_tokens === 'number' || typeof usage?.output_tokens === 'number'
}

/**
 * Merge a later usage report into an earlier one. Anthropic's counts are cumulative totals for
 * the whole message, so a present value overwrites and is never added (as the official SDK's
 * MessageStream does).
 */
export function mergeAnthropicUsage(
  earlier: AnthropicUsage,
  later: AnthropicUsage,
): AnthropicUsage {
  const merged: AnthropicUsage = { ...earlier }
  for (const [key, value] of Object.entries(later))
    if (value !== null && value !== undefined) merged[key] = value
  return merged
}

/** The chat completion ID for an Anthropic message: traceable back to `msg_…`. */
export function chatCompletionId(messageId: string): string {
  return `chatcmpl-${messageId}`
}

/** A whole Anthropic message → `chat.completion`. Thinking blocks are not chat content. */
export function fromAnthropicResponse(
  message: AnthropicResponse,
  options: { createdSeconds: number },
): { body: ChatCompletion; usage: TokenUsage } {
  let text = ''
  let hasText = false
  const toolCalls: ChatToolCall[] = []
  for (const block of message.content) {
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text
      hasText = true
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: String(block.id),
        type: 'function',
        function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
      })
    }
  }
  const usage = fromAnthropicUsage(message.usage ?? {})
  return {
    usage,
    body: {
      id: chatCompletionId(message.id),
      object: 'chat.completion',
      created: options.createdSeconds,
      model: message.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            // OpenAI answers a tools-only turn with `content: null`.
            content: hasText || toolCalls.length === 0 ? text : null,
            refusal: null,
            annotations: [],
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: toFinishReason(message.stop_reason),
        },
      ],
      usage: toCompletionUsage(usage),
    },
  }
}
