import { z } from 'zod'
import type { ProviderAdapter } from '../provider-adapter.js'
import { accountSettings } from '../provider-settings.js'
import type { UpstreamTransport } from '../upstream-client.js'
import { createOpenAIWireAdapter, type OpenAIOperation } from './openai-wire-adapter.js'

/** Settings of an `openai` or `openai-compatible` provider account. */
export const openAICompatibleSettingsSchema = z
  .object({
    /**
     * Ask the upstream for usage in every stream (`stream_options.include_usage`), so Ferry can
     * meter exactly. Turn off only for servers that reject `stream_options`; their streams are
     * then metered by estimate. @default true
     */
    forceStreamUsage: z.boolean().default(true),
  })
  .strict()

const PATHS: Record<OpenAIOperation, string> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  responses: '/responses',
  models: '/models',
}

/**
 * OpenAI itself, and any server that copies its API (vLLM, Ollama, Groq, Together, …):
 * `<baseUrl>/chat/completions` with a bearer credential. `baseUrl` includes the version path,
 * e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`.
 */
export function createOpenAICompatibleAdapter(options: {
  transport: UpstreamTransport
  kind?: 'openai' | 'openai-compatible'
}): ProviderAdapter {
  return createOpenAIWireAdapter({
    kind: options.kind ?? 'openai-compatible',
    transport: options.transport,
    endpoint: {
      url: (operation, _model, ctx) =>
        `${ctx.account.baseUrl.replace(/\/+$/, '')}${PATHS[operation]}`,
      authHeaders: (ctx): Record<string, string> =>
        ctx.account.credential === null
          ? {}
          : { authorization: `Bearer ${ctx.account.credential}` },
      forceStreamUsage: (ctx) =>
        accountSettings(openAICompatibleSettingsSchema, ctx.account).forceStreamUsage,
    },
  })
}
