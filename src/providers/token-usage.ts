import type { CompletionUsage, ResponseUsage } from './openai-types.js'

/**
 * Token counts of one upstream call, in Ferry's words. `cachedTokens` and `cacheWriteTokens` are
 * parts of `promptTokens`; `reasoningTokens` is part of `completionTokens` (as in OpenAI's
 * CompletionUsage), so pricing can charge each part at its own rate.
 */
export interface TokenUsage {
  promptTokens: number
  cachedTokens: number
  cacheWriteTokens: number
  completionTokens: number
  reasoningTokens: number
}

/**
 * `reported`: every count came from the upstream. `estimated`: at least one count was computed
 * by Ferry (no usage given, client abort, broken stream), see count-tokens.ts.
 */
export type UsageSource = 'reported' | 'estimated'

/** All counts zero: the base estimates and partial reports build on. */
export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  promptTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
})

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0
}

/** Read OpenAI's CompletionUsage (chat, completions, embeddings), tolerating missing parts. */
export function fromCompletionUsage(usage: CompletionUsage): TokenUsage {
  return {
    promptTokens: count(usage.prompt_tokens),
    cachedTokens: count(usage.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: count(usage.prompt_tokens_details?.cache_write_tokens),
    completionTokens: count(usage.completion_tokens),
    reasoningTokens: count(usage.completion_tokens_details?.reasoning_tokens),
  }
}

/** Read the Responses API's ResponseUsage (`input_`/`output_` names). */
export function fromResponseUsage(usage: ResponseUsage): TokenUsage {
  return {
    promptTokens: count(usage.input_tokens),
    cachedTokens: count(usage.input_tokens_details?.cached_tokens),
    cacheWriteTokens: count(usage.input_tokens_details?.cache_write_tokens),
    completionTokens: count(usage.output_tokens),
    reasoningTokens: count(usage.output_tokens_details?.reasoning_tokens),
  }
}

/** Write OpenAI's CompletionUsage, with the detail objects the spec's examples always carry. */
export function toCompletionUsage(usage: TokenUsage): CompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: {
      cached_tokens: usage.cachedTokens,
      audio_tokens: 0,
      ...(usage.cacheWriteTokens > 0 ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

/** True when a value looks like CompletionUsage (an object with numeric token counts). */
export function isCompletionUsage(value: unknown): value is CompletionUsage {
  if (typeof value !== 'object' || value === null) return false
  const usage = value as Partial<CompletionUsage>
  return typeof usage.prompt_tokens === 'number' || typeof usage.completion_tokens === 'number'
}
