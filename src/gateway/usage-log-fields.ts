import type { TokenUsage, UsageSource } from '../providers/index.js'

/** The usage summary that goes on the request's single access line. */
export function usageLogFields(input: {
  usage: TokenUsage
  usageSource: UsageSource
  streamOutcome?: string
}): Record<string, string | number> {
  return {
    promptTokens: input.usage.promptTokens,
    completionTokens: input.usage.completionTokens,
    ...(input.usage.cachedTokens > 0 ? { cachedTokens: input.usage.cachedTokens } : {}),
    ...(input.usage.reasoningTokens > 0 ? { reasoningTokens: input.usage.reasoningTokens } : {}),
    usageSource: input.usageSource,
    ...(input.streamOutcome === undefined ? {} : { streamOutcome: input.streamOutcome }),
  }
}
