import { z } from 'zod'
import { accountSettings } from '../provider-settings.js'
import type { ProviderAccount } from '../upstream-context.js'
import { invalidField } from '../unsupported.js'

/**
 * Knobs of the built-in mock provider. Set them on the provider account's settings, or per call
 * in the model name as a query string, which wins: `mock?completionTokens=50&chunkDelayMs=20`.
 */
export const mockSettingsSchema = z
  .object({
    /** Tokens generated per choice (exact: each generated word is one o200k token). @default 16 */
    completionTokens: z.number().int().min(0).max(100_000).default(16),
    /** A fixed reply instead of generated text; its token count replaces `completionTokens`. */
    reply: z.string().optional(),
    /** Wait before the first byte (the "upstream" answering). @default 0 */
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    /** Content chunks per streamed choice. @default one per token */
    chunkCount: z.number().int().min(1).max(100_000).optional(),
    /** Wait between two streamed chunks. @default 0 */
    chunkDelayMs: z.number().int().min(0).max(600_000).default(0),
    /** Fail before the first byte as an upstream answering this HTTP status would. */
    failStatus: z.number().int().min(400).max(599).optional(),
    /** Fail before the first byte as this connection failure would. */
    failTransport: z.enum(['refused', 'reset', 'timeout']).optional(),
    /** Streams only: fail after this many chunks with an in-band error of `failType`. */
    failAfterChunks: z.number().int().min(0).optional(),
    /** The upstream error type of a mid-stream failure. @default 'server_error' */
    failType: z.string().min(1).default('server_error'),
    /** Streams only: send an unparseable chunk after this many chunks. */
    malformedAfterChunks: z.number().int().min(0).optional(),
    /** Report no usage at all (Ferry then estimates). @default false */
    omitUsage: z.boolean().default(false),
    /** Vector length of embeddings when the request sets no `dimensions`. @default 256 */
    embeddingDimensions: z.number().int().min(1).max(8192).default(256),
  })
  .strict()

/** The mock's settings with defaults applied. */
export type MockSettings = z.output<typeof mockSettingsSchema>

/** The model name without its knobs, and the settings in force for this call. */
export function resolveMockSettings(
  model: string,
  account: ProviderAccount,
): { model: string; settings: MockSettings } {
  const query = model.indexOf('?')
  const base = accountSettings(mockSettingsSchema, account)
  if (query === -1) return { model, settings: base }
  const overrides: Record<string, unknown> = {}
  for (const [key, value] of new URLSearchParams(model.slice(query + 1)))
    overrides[key] = parseValue(value)
  const parsed = mockSettingsSchema.safeParse({ ...account.settings, ...overrides })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalidField(
      'model',
      `mock setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    )
  }
  return { model: model.slice(0, query), settings: parsed.data }
}

function parseValue(value: string): unknown {
  if (value === 'true') return true
  if (value === 'false') return false
  if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return value
}
