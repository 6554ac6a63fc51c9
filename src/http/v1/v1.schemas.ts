import { z } from 'zod'
import type {
  ChatRequest,
  CompletionRequest,
  EmbeddingsRequest,
  ResponsesRequest,
} from '../../providers/index.js'
import { zodToInvalidRequest } from '../openai-error.js'

/**
 * Wire validation of the customer API's bodies: only the fields Ferry itself reads (the model it
 * routes on, what it counts tokens from, how it answers). Every other field, known or not, passes
 * through untouched (`looseObject`): the spec keeps growing and clients send undocumented params.
 */
const model = z.string().min(1, 'must be a non-empty string')
const streamFields = {
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({}).nullable().optional(),
}
const chatMessage = z.looseObject({ role: z.string().min(1) })

export const chatRequestSchema = z.looseObject({
  model,
  messages: z.array(chatMessage).min(1),
  ...streamFields,
})
export const completionRequestSchema = z.looseObject({ model, ...streamFields })
export const embeddingsRequestSchema = z.looseObject({
  model,
  input: z.union([z.string(), z.array(z.unknown())]),
  encoding_format: z.enum(['float', 'base64']).optional(),
})
export const responsesRequestSchema = z.looseObject({
  model,
  stream: z.boolean().nullable().optional(),
})

/**
 * Parse a body, or throw a 400 in OpenAI's shape whose `param` names the offending field.
 * Answers the client's own object, not zod's copy: the copy lists the keys the schema knows
 * first, and it would go upstream reordered. Nothing here transforms or defaults a value, so
 * both hold the same fields (v1.schemas.test.ts checks it, byte for byte).
 */
function parseWith<T>(schema: z.ZodType, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw zodToInvalidRequest(parsed.error)
  return body as T
}

export const parseChatRequest = (body: unknown) => parseWith<ChatRequest>(chatRequestSchema, body)
export const parseCompletionRequest = (body: unknown) =>
  parseWith<CompletionRequest>(completionRequestSchema, body)
export const parseEmbeddingsRequest = (body: unknown) =>
  parseWith<EmbeddingsRequest>(embeddingsRequestSchema, body)
export const parseResponsesRequest = (body: unknown) =>
  parseWith<ResponsesRequest & { model: string }>(responsesRequestSchema, body)
