import type { ChatContentPart, ChatMessage } from '../openai-types.js'
import { invalidField, unsupportedParameter, unsupportedValue } from '../unsupported.js'
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicTextBlock,
} from './anthropic-types.js'

const PROVIDER = 'Anthropic'

/** OpenAI chat messages as Anthropic wants them: a top-level system prompt and alternating turns. */
export interface TranslatedMessages {
  system: AnthropicTextBlock[]
  messages: AnthropicMessage[]
}

/**
 * Translate `messages`. System and developer messages become the top-level `system` (in
 * order, wherever they stood); tool messages become `tool_result` blocks of a user turn; assistant
 * `tool_calls` become `tool_use` blocks; consecutive turns of one role are merged, since
 * Anthropic requires user and assistant to alternate. A message `name` has no equivalent and is
 * not sent (it labels a participant; docs/providers.md says so).
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): TranslatedMessages {
  const system: AnthropicTextBlock[] = []
  const turns: AnthropicMessage[] = []
  messages.forEach((message, i) => {
    const at = `messages[${i}]`
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content, at))
        return
      case 'user':
        return push(turns, { role: 'user', content: userBlocks(message.content, at) })
      case 'assistant':
        return push(turns, { role: 'assistant', content: assistantBlocks(message, at) })
      case 'tool':
        return push(turns, { role: 'user', content: [toolResult(message, at)] })
      case 'function':
        throw unsupportedValue(`${at}.role`, {
          provider: PROVIDER,
          reason: "'function' (deprecated) is not supported; use 'tool'",
        })
      default:
        throw invalidField(`${at}.role`, `unknown role '${String(message.role)}'.`)
    }
  })
  return { system, messages: turns }
}

function push(turns: AnthropicMessage[], turn: AnthropicMessage): void {
  // An empty turn (assistant content null without tool calls) is not a turn at all.
  if (turn.content.length === 0) return
  const previous = turns.at(-1)
  if (previous?.role !== turn.role) {
    turns.push(turn)
    return
  }
  // Anthropic wants a user turn's tool results before its other blocks.
  const merged = [...previous.content, ...turn.content]
  previous.content =
    turn.role === 'user'
      ? [
          ...merged.filter((b) => b.type === 'tool_result'),
          ...merged.filter((b) => b.type !== 'tool_result'),
        ]
      : merged
}

function textBlocks(content: ChatMessage['content'], at: string): AnthropicTextBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }]
  if (content === null || content === undefined) return []
  if (!Array.isArray(content))
    throw invalidField(`${at}.content`, 'expected a string or an array of parts.')
  return content.flatMap((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string')
      throw unsupportedValue(`${at}.content[${j}]`, {
        provider: PROVIDER,
        reason: `of type '${part.type}' is not supported here`,
      })
    return part.text === '' ? [] : [textBlock(part)]
  })
}

function textBlock(part: ChatContentPart & { text?: string }): AnthropicTextBlock {
  // `cache_control` on a part is Anthropic's own prompt-caching marker; keep it.
  return {
    type: 'text',
    text: part.text ?? '',
    ...(part.cache_control === undefined ? {} : { cache_control: part.cache_control }),
  }
}

function userBlocks(content: ChatMessage['content'], at: string): AnthropicContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }]
  if (!Array.isArray(content))
    throw invalidField(`${at}.content`, 'expected a string or an array of parts.')
  return content.flatMap((part, j): AnthropicContentBlock[] => {
    const where = `${at}.content[${j}]`
    switch (part.type) {
      case 'text':
        return typeof part.text === 'string' && part.text !== '' ? [textBlock(part)] : []
      case 'image_url':
        return [imageBlock(part.image_url?.url, where)]
      case 'file':
        return [documentBlock(part.file?.file_data, where)]
      default:
        throw unsupportedValue(where, {
          provider: PROVIDER,
          reason: `of type '${part.type}' is not supported`,
        })
    }
  })
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

function imageBlock(url: string | undefined, at: string): AnthropicImageBlock {
  if (typeof url !== 'string') throw invalidField(`${at}.image_url.url`, 'expected a URL.')
  const data = DATA_URL.exec(url)
  if (data) {
    const [, mediaType = '', base64 = ''] = data
    if (!IMAGE_TYPES.has(mediaType))
      throw unsupportedValue(`${at}.image_url.url`, {
        provider: PROVIDER,
        reason: `with media type '${mediaType}' is not supported`,
      })
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: base64 } }
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } }
  throw invalidField(`${at}.image_url.url`, 'expected an https URL or a base64 data URL.')
}

function documentBlock(fileData: string | undefined, at: string): AnthropicContentBlock {
  const data = typeof fileData === 'string' ? DATA_URL.exec(fileData) : null
  if (data?.[1] !== 'application/pdf') {
    throw unsupportedValue(`${at}.file`, {
      provider: PROVIDER,
      reason: 'other than inline PDF data (file_data) is not supported',
    })
  }
  return {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: data[2] ?? '' },
  }
}

function assistantBlocks(message: ChatMessage, at: string): AnthropicContentBlock[] {
  if (message.audio !== undefined && message.audio !== null)
    throw unsupportedParameter(`${at}.audio`, PROVIDER)
  if (message.function_call !== undefined && message.function_call !== null)
    throw unsupportedParameter(`${at}.function_call`, PROVIDER)
  const blocks: AnthropicContentBlock[] = []
  const { content } = message
  if (typeof content === 'string') {
    if (content !== '') blocks.push({ type: 'text', text: content })
  } else if (Array.isArray(content)) {
    for (const part of content) {
      // A refusal the model gave earlier is part of the conversation's text.
      const text = part.type === 'refusal' ? part.refusal : part.text
      if (typeof text === 'string' && text !== '') blocks.push({ type: 'text', text })
    }
  }
  ;(message.tool_calls ?? []).forEach((call, j) => {
    const where = `${at}.tool_calls[${j}]`
    if (call.type !== 'function')
      throw unsupportedValue(`${where}.type`, {
        provider: PROVIDER,
        reason: `'${call.type}' is not supported`,
      })
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments, `${where}.function.arguments`),
    })
  })
  return blocks
}

function toolInput(args: string, at: string): Record<string, unknown> {
  if (args.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(args)
  } catch {
    throw invalidField(at, 'the arguments are not valid JSON.')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidField(at, 'the arguments must be a JSON object.')
  return parsed as Record<string, unknown>
}

function toolResult(message: ChatMessage, at: string): AnthropicContentBlock {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '')
    throw invalidField(`${at}.tool_call_id`, 'a tool message needs the tool_call_id it answers.')
  const { content } = message
  return {
    type: 'tool_result',
    tool_use_id: message.tool_call_id,
    content: typeof content === 'string' ? content : textBlocks(content, at),
  }
}
