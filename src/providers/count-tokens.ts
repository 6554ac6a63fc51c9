import { createRequire } from 'node:module'
import type * as O200kBaseModule from 'gpt-tokenizer/encoding/o200k_base'
import type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  EmbeddingsRequest,
  ResponsesRequest,
} from './openai-types.js'

/**
 * Token estimates for when the upstream reports no usage (client abort, broken stream, a
 * provider without usage). Counts use OpenAI's o200k_base encoding whatever the upstream, so
 * they are estimates and every result built from them is marked `estimated`.
 */

// Text inside a prompt may contain `<|endoftext|>` and the like: count it as plain text.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() }

type O200kBase = typeof O200kBaseModule
let encoding: O200kBase | undefined

/**
 * Load the o200k_base tables (~70 MB, ~0.5 s). The gateway calls this once at start
 * (`startGateway`): loading them on a request's path would stall the event loop at the first
 * client abort. CLI commands never count tokens and never pay for it. Loaded with `require`
 * (the package ships CommonJS too) so counting stays synchronous.
 */
export function loadTokenizer(): O200kBase {
  encoding ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as O200kBase
  return encoding
}

/** Tokens in a piece of text. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : loadTokenizer().countTokens(text, PLAIN_TEXT)
}

/** Prompt texts whose count is remembered: roles, names, system prompts, tool lists. */
const REMEMBERED_TEXTS = 1024
/** Longer texts are counted every time (a long prompt rarely repeats exactly). */
const REMEMBERED_MAX_CHARS = 4096
const rememberedCounts = new Map<string, number>()

/**
 * Tokens in a piece of a prompt. Every priced request counts its prompt for the hold, and most
 * of a prompt repeats from request to request (the roles, the system prompt, the tool
 * definitions): those counts are remembered (the most recently used ones, in memory only), so
 * the byte-pair encoder runs on what is new. The count is the same either way.
 */
function countPromptText(text: string): number {
  if (text.length > REMEMBERED_MAX_CHARS) return countTextTokens(text)
  const known = rememberedCounts.get(text)
  if (known !== undefined) {
    rememberedCounts.delete(text)
    rememberedCounts.set(text, known)
    return known
  }
  const counted = countTextTokens(text)
  if (rememberedCounts.size >= REMEMBERED_TEXTS)
    rememberedCounts.delete(rememberedCounts.keys().next().value as string)
  rememberedCounts.set(text, counted)
  return counted
}

/**
 * OpenAI's chat accounting: about 3 tokens of framing per message plus 3 to prime the reply
 * (the cookbook's `num_tokens_from_messages`). Images count as one high-detail tile set.
 */
const TOKENS_PER_MESSAGE = 3
const TOKENS_PER_NAME = 1
const REPLY_PRIMING_TOKENS = 3
const IMAGE_TOKENS_LOW = 85
const IMAGE_TOKENS_DEFAULT = 765

/** Estimated prompt tokens of a chat request: messages, tool definitions and output schema. */
export function estimateChatPromptTokens(request: ChatRequest): number {
  let total = REPLY_PRIMING_TOKENS
  for (const message of request.messages) total += messageTokens(message)
  if (request.tools !== undefined && request.tools.length > 0)
    total += countPromptText(JSON.stringify(request.tools))
  if (request.response_format !== undefined && request.response_format !== null)
    total += countPromptText(JSON.stringify(request.response_format))
  return total
}

function messageTokens(message: ChatMessage): number {
  let total = TOKENS_PER_MESSAGE + countPromptText(message.role)
  if (typeof message.name === 'string') total += TOKENS_PER_NAME + countPromptText(message.name)
  const { content } = message
  if (typeof content === 'string') total += countPromptText(content)
  else if (Array.isArray(content)) for (const part of content) total += partTokens(part)
  for (const call of message.tool_calls ?? [])
    total += countPromptText(call.function.name) + countPromptText(call.function.arguments)
  return total
}

function partTokens(part: ChatContentPart): number {
  if (typeof part.text === 'string') return countPromptText(part.text)
  if (typeof part.refusal === 'string') return countPromptText(part.refusal)
  if (part.type === 'image_url')
    return part.image_url?.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_DEFAULT
  return 0
}

/** Estimated prompt tokens of a legacy completions request (token arrays count as they are). */
export function estimateCompletionPromptTokens(request: CompletionRequest): number {
  return countInput(request.prompt ?? '')
}

/** Estimated input tokens of an embeddings request. */
export function estimateEmbeddingTokens(request: EmbeddingsRequest): number {
  return countInput(request.input)
}

function countInput(input: unknown): number {
  if (typeof input === 'string') return countPromptText(input)
  if (typeof input === 'number') return 1
  if (Array.isArray(input)) return input.reduce<number>((sum, item) => sum + countInput(item), 0)
  return 0
}

/** Estimated input tokens of a Responses API request: instructions plus every text in `input`. */
export function estimateResponsesInputTokens(request: ResponsesRequest): number {
  const instructions =
    typeof request.instructions === 'string' ? countPromptText(request.instructions) : 0
  return instructions + countStrings(request.input)
}

function countStrings(value: unknown): number {
  // A data URL is an image or file, not text: count it like one image.
  if (typeof value === 'string')
    return value.startsWith('data:') ? IMAGE_TOKENS_DEFAULT : countPromptText(value)
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countStrings(item), 0)
  if (typeof value === 'object' && value !== null)
    return Object.values(value).reduce<number>((sum, item) => sum + countStrings(item), 0)
  return 0
}
