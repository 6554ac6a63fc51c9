import type { z } from 'zod'
import { anthropicSettingsSchema, createAnthropicAdapter } from './anthropic/anthropic-adapter.js'
import {
  azureOpenAISettingsSchema,
  createAzureOpenAIAdapter,
} from './azure-openai/azure-openai-adapter.js'
import { createMockAdapter } from './mock/mock-adapter.js'
import { mockSettingsSchema } from './mock/mock-settings.js'
import {
  createOpenAICompatibleAdapter,
  openAICompatibleSettingsSchema,
} from './openai-compatible/openai-compatible-adapter.js'
import type { ProviderAdapter } from './provider-adapter.js'
import type { UpstreamAddressPolicy } from './upstream-address-policy.js'
import { createUndiciTransport, type UpstreamTransport } from './upstream-client.js'
import type { ProviderAccount, ProviderKind } from './upstream-context.js'

/** The adapters of every provider kind, sharing one connection pool per upstream origin. */
export interface ProviderRegistry {
  /** The adapter for a kind. Adapters are stateless: the account travels in each call's ctx. */
  adapterFor(kind: ProviderKind): ProviderAdapter
  /** Shorthand for `adapterFor(account.kind)`. */
  forAccount(account: Pick<ProviderAccount, 'kind'>): ProviderAdapter
  /** Close every pooled upstream connection (on shutdown). */
  close(): Promise<void>
}

/**
 * Build every adapter once. Production gets undici pools whose connections are checked against
 * the address policy (the SSRF guard); tests may pass a transport that replays recorded bytes.
 */
export function createProviderRegistry(
  options: { transport?: UpstreamTransport; addressPolicy?: UpstreamAddressPolicy } = {},
): ProviderRegistry {
  const transport =
    options.transport ??
    createUndiciTransport(options.addressPolicy ? { addressPolicy: options.addressPolicy } : {})
  const adapters: Record<ProviderKind, ProviderAdapter> = {
    openai: createOpenAICompatibleAdapter({ transport, kind: 'openai' }),
    'openai-compatible': createOpenAICompatibleAdapter({ transport, kind: 'openai-compatible' }),
    'azure-openai': createAzureOpenAIAdapter({ transport }),
    anthropic: createAnthropicAdapter({ transport }),
    mock: createMockAdapter(),
  }
  return {
    adapterFor: (kind) => adapters[kind],
    forAccount: (account) => adapters[account.kind],
    close: () => transport.close(),
  }
}

const SETTINGS_SCHEMAS: Record<ProviderKind, z.ZodType> = {
  openai: openAICompatibleSettingsSchema,
  'openai-compatible': openAICompatibleSettingsSchema,
  'azure-openai': azureOpenAISettingsSchema,
  anthropic: anthropicSettingsSchema,
  mock: mockSettingsSchema,
}

/**
 * The zod schema of a kind's `settings`, for the admin API to validate a provider account
 * before saving it (unknown keys are refused, so typos surface at once).
 */
export function providerSettingsSchema(kind: ProviderKind): z.ZodType {
  return SETTINGS_SCHEMAS[kind]
}
