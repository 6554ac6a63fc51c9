/**
 * The provider layer's public entry (STYLE §3.2): the port, the registry that builds adapters,
 * the classified errors, and the helpers the HTTP layer needs. Only this folder calls upstreams.
 */
export type {
  ChatResult,
  ChatStream,
  CompletionResult,
  CompletionStream,
  EmbeddingsResult,
  ModelsResult,
  ProviderAdapter,
  ResponsesResult,
  ResponsesStream,
  StreamOutcome,
  StreamStatus,
  UpstreamInfo,
  UpstreamResult,
  UpstreamStream,
} from './provider-adapter.js'
export { isUsageOnlyChunk } from './provider-adapter.js'
export { keepRawBody, keepRawJson, rawBodyOf, rawJsonOf } from './raw-json.js'
export type * from './openai-types.js'
export {
  DEFAULT_UPSTREAM_TIMEOUTS,
  PROVIDER_KINDS,
  type ProviderAccount,
  type ProviderKind,
  type UpstreamContext,
  type UpstreamTimeouts,
} from './upstream-context.js'
export {
  MAX_RETRY_AFTER_MS,
  UpstreamBadResponseError,
  UpstreamClientError,
  UpstreamError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  isUpstreamError,
  type TimeoutPhase,
  type UnavailableReason,
  type UpstreamFailureKind,
} from './upstream-errors.js'
export { ProviderMisconfiguredError } from './provider-settings.js'
export { ZERO_USAGE, toCompletionUsage, type TokenUsage, type UsageSource } from './token-usage.js'
export {
  countTextTokens,
  estimateChatPromptTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  estimateResponsesInputTokens,
  loadTokenizer,
} from './count-tokens.js'
export { SseDecoder, type SseEvent } from './sse-decoder.js'
export {
  UpstreamAddressForbiddenError,
  createUndiciTransport,
  type UndiciTransportOptions,
  type UpstreamHttpRequest,
  type UpstreamHttpResponse,
  type UpstreamTransport,
} from './upstream-client.js'
export {
  ADDRESS_CLASSES,
  DEFAULT_UPSTREAM_ADDRESS_POLICY,
  allowlistEntryProblem,
  classifyHost,
  hostRefusal,
  resolvedAddressRefusal,
  type AddressClass,
  type AddressRefusal,
  type UpstreamAddressPolicy,
} from './upstream-address-policy.js'
export {
  createProviderRegistry,
  providerSettingsSchema,
  type ProviderRegistry,
} from './registry.js'
export {
  createOpenAICompatibleAdapter,
  openAICompatibleSettingsSchema,
} from './openai-compatible/openai-compatible-adapter.js'
export {
  azureOpenAISettingsSchema,
  createAzureOpenAIAdapter,
} from './azure-openai/azure-openai-adapter.js'
export { anthropicSettingsSchema, createAnthropicAdapter } from './anthropic/anthropic-adapter.js'
export { createMockAdapter } from './mock/mock-adapter.js'
export { mockSettingsSchema, type MockSettings } from './mock/mock-settings.js'
