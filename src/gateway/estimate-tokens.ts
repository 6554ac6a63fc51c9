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

/**
 * Completions generate `best_of` candidates server-side and bill every one of them, returning
 * `n` (best_of ≥ n): the hold covers the larger.
 */
function generationsOf(body: Record<string, unknown>): number {
  const bestOf = body.best_of
  const candidates = typeof bestOf === 'number' && Number.isInteger(bestOf) ? bestOf : 1
  return Math.max(choicesOf(body), candidates)
}

const countedPrompts = new WeakMap<object, number>()

/**
 * The prompt's tokens, counted once per request body: counting is the costliest step of the
 * request path, and both the per-minute token limits and the balance hold need it.
 */
function promptTokensOf(endpoint: GatewayEndpoint, body: object): number {
  const known = countedPrompts.get(body)
  if (known !== undefined) return known
  const counted = countPromptTokens(endpoint, body)
  countedPrompts.set(body, counted)
  return counted
}

function countPromptTokens(endpoint: GatewayEndpoint, body: object): number {
  switch (endpoint) {
    case 'chat.completions':
      return estimateChatPromptTokens(body as ChatRequest)
    case 'completions':
      return estimateCompletionPromptTokens(body as CompletionRequest)
    case 'embeddings':
      return estimateEmbeddingTokens(body as EmbeddingsRequest)
    case 'responses':
      return estimateResponsesInputTokens(body as ResponsesRequest)
  }
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
 * `max_output_tokens`, times `n`, or completions' `best_of`), for balance holds. A request
 * without a limit gets `windowTokens` per choice: the hold's initial window.
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
        promptTokens: promptTokensOf(endpoint, body),
        maxOutputTokens: (limit ?? windowTokens) * choicesOf(fields),
        windowed: limit === undefined,
      }
    }
    case 'completions':
      return {
        promptTokens: promptTokensOf(endpoint, body),
        maxOutputTokens: (limitOf(fields, ['max_tokens']) ?? 16) * generationsOf(fields),
        windowed: false,
      }
    case 'embeddings':
      return {
        promptTokens: promptTokensOf(endpoint, body),
        maxOutputTokens: 0,
        windowed: false,
      }
    case 'responses': {
      const limit = limitOf(fields, ['max_output_tokens'])
      return {
        promptTokens: promptTokensOf(endpoint, body),
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
