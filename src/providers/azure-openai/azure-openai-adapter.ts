import { z } from 'zod'
import type { OpenAIOperation } from '../openai-compatible/openai-wire-adapter.js'
import { createOpenAIWireAdapter } from '../openai-compatible/openai-wire-adapter.js'
import type { ProviderAdapter } from '../provider-adapter.js'
import { accountSettings } from '../provider-settings.js'
import type { UpstreamTransport } from '../upstream-client.js'
import type { UpstreamContext } from '../upstream-context.js'

/** Settings of an `azure-openai` provider account. */
export const azureOpenAISettingsSchema = z
  .object({
    /** `api-version` query parameter of deployment URLs. @default '2024-10-21' (GA) */
    apiVersion: z.string().min(1).default('2024-10-21'),
    /** `api-version` for `/openai/responses`, which only preview versions serve. @default '2025-04-01-preview' */
    responsesApiVersion: z.string().min(1).default('2025-04-01-preview'),
    /** Upstream model name → deployment name. A model not listed is its own deployment name. */
    deployments: z.record(z.string(), z.string().min(1)).default({}),
    /** As for OpenAI: ask for usage in every stream. @default true */
    forceStreamUsage: z.boolean().default(true),
  })
  .strict()

type AzureSettings = z.output<typeof azureOpenAISettingsSchema>

const DEPLOYMENT_PATHS: Partial<Record<OpenAIOperation, string>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
}

/**
 * Azure OpenAI: `<resource>/openai/deployments/{deployment}/chat/completions?api-version=…`
 * with an `api-key` header (or, with no credential, whatever `extraHeaders` carries, such as an
 * Entra ID bearer token). Bodies and answers are OpenAI's.
 */
export function createAzureOpenAIAdapter(options: {
  transport: UpstreamTransport
}): ProviderAdapter {
  return createOpenAIWireAdapter({
    kind: 'azure-openai',
    transport: options.transport,
    endpoint: {
      url: (operation, model, ctx) => azureUrl({ operation, model, ctx }),
      authHeaders: (ctx): Record<string, string> =>
        ctx.account.credential === null ? {} : { 'api-key': ctx.account.credential },
      forceStreamUsage: (ctx) => settingsOf(ctx).forceStreamUsage,
      // The Responses API names the deployment in the body, not the path.
      bodyModel: (operation, model, ctx) =>
        operation === 'responses' ? deploymentOf(model, settingsOf(ctx)) : model,
    },
  })
}

function settingsOf(ctx: UpstreamContext): AzureSettings {
  return accountSettings(azureOpenAISettingsSchema, ctx.account)
}

function deploymentOf(model: string, settings: AzureSettings): string {
  return settings.deployments[model] ?? model
}

/** The Azure URL of one operation. */
export function azureUrl(call: {
  operation: OpenAIOperation
  model: string
  ctx: UpstreamContext
}): string {
  const settings = settingsOf(call.ctx)
  // Accept both `https://x.openai.azure.com` and `https://x.openai.azure.com/openai`.
  const root = `${call.ctx.account.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '')}/openai`
  const version = (v: string) => `api-version=${encodeURIComponent(v)}`
  switch (call.operation) {
    case 'responses':
      return `${root}/responses?${version(settings.responsesApiVersion)}`
    case 'models':
      return `${root}/models?${version(settings.apiVersion)}`
    case 'chat':
    case 'completions':
    case 'embeddings': {
      const deployment = encodeURIComponent(deploymentOf(call.model, settings))
      return `${root}/deployments/${deployment}${DEPLOYMENT_PATHS[call.operation]}?${version(settings.apiVersion)}`
    }
  }
}
