import {
  estimateChatPromptTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  estimateResponsesInputTokens,
  type ChatRequest,
  type CompletionRequest,
  type EmbeddingsRequest,
  type ResponsesRequest,
} from '../providers/index.js'
import type { GatewayEndpoint } from './gateway-endpoint.js'

/** Completion tokens assumed when a request sets no limit (OpenAI's completions default is 16). */
const DEFAULT_COMPLETION_ALLOWANCE = 256

function limitOf(body: Record<string, unknown>, fields: readonly string[]): number | undefined {
  for (const field of fields) {
    const value = body[field]
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value)
  }
  return undefined
}

function choicesOf(body: Record<string, unknown>): number {
  const n = body.n
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1
}

/** A request's token bounds before the call: its prompt and the most output it may ask for. */
export interface RequestTokenBounds {
  promptTokens: number
  /** The completion the request allows for every choice, or `windowTokens` per choice unset. */
  maxOutputTokens: number
  /** No limit was set: `maxOutputTokens` is a first window, extended while a stream runs. */
  windowed: boolean
}

/**
 * The prompt (counted) and the output the request allows (`max_completion_tokens`, `max_tokens`,
 * `max_output_tokens`, times `n`), for balance holds. A request without a limit gets
 * `windowTokens` per choice: the hold's initial window.
 */
export function requestTokenBounds(
  endpoint: GatewayEndpoint,
  body: object,
  windowTokens: number,
): RequestTokenBounds {
  const fields = body as Record<string, unknown>
  switch (endpoint) {
    case 'chat.completions': {
      const limit = limitOf(fields, ['max_completion_tokens', 'max_tokens'])
      return {
        promptTokens: estimateChatPromptTokens(body as ChatRequest),
        maxOutputTokens: (limit ?? windowTokens) * choicesOf(fields),
        windowed: limit === undefined,
      }
    }
    case 'completions':
      return {
        promptTokens: estimateCompletionPromptTokens(body as CompletionRequest),
        maxOutputTokens: (limitOf(fields, ['max_tokens']) ?? 16) * choicesOf(fields),
        windowed: false,
      }
    case 'embeddings':
      return {
        promptTokens: estimateEmbeddingTokens(body as EmbeddingsRequest),
        maxOutputTokens: 0,
        windowed: false,
      }
    case 'responses': {
      const limit = limitOf(fields, ['max_output_tokens'])
      return {
        promptTokens: estimateResponsesInputTokens(body as ResponsesRequest),
        maxOutputTokens: limit ?? windowTokens,
        windowed: limit === undefined,
      }
    }
  }
}

/**
 * Tokens to charge against per-minute token limits before the call: the prompt as the providers'
 * counters see it, plus the completion the request allows (`max_completion_tokens`, `max_tokens`,
 * `max_output_tokens`) for every choice. Settlement corrects it with the real usage.
 */
export function estimateRequestTokens(endpoint: GatewayEndpoint, body: object): number {
  const bounds = requestTokenBounds(endpoint, body, DEFAULT_COMPLETION_ALLOWANCE)
  return bounds.promptTokens + bounds.maxOutputTokens
}
