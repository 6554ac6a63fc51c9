/**
 * The Anthropic Messages API shapes Ferry writes and reads (anthropic-sdk-typescript
 * `resources/messages`). Response types stay open: Anthropic adds fields and block types.
 */

export interface AnthropicTextBlock {
  type: 'text'
  text: string
  cache_control?: unknown
}

export interface AnthropicImageBlock {
  type: 'image'
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string }
}

export interface AnthropicDocumentBlock {
  type: 'document'
  source: { type: 'base64'; media_type: 'application/pdf'; data: string }
}

export interface AnthropicToolUseBlock {
  type: 'tool_use'
  id: string
  name: string
  input: Record<string, unknown>
}

export interface AnthropicToolResultBlock {
  type: 'tool_result'
  tool_use_id: string
  content: string | AnthropicTextBlock[]
  is_error?: boolean
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock

export interface AnthropicMessage {
  role: 'user' | 'assistant'
  content: AnthropicContentBlock[]
}

export interface AnthropicTool {
  name: string
  description?: string
  input_schema: unknown
  strict?: boolean
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' }

/** `POST /v1/messages` body. */
export interface AnthropicRequest {
  model: string
  max_tokens: number
  messages: AnthropicMessage[]
  system?: AnthropicTextBlock[]
  stop_sequences?: string[]
  temperature?: number
  top_p?: number
  stream?: boolean
  metadata?: { user_id: string }
  tools?: AnthropicTool[]
  tool_choice?: AnthropicToolChoice
  output_config?: { format?: { type: 'json_schema'; schema: unknown }; effort?: string }
}

/** Usage as Anthropic reports it; `input_tokens` excludes cache reads and writes. */
export interface AnthropicUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  output_tokens_details?: { thinking_tokens?: number | null } | null
  [field: string]: unknown
}

/** A response content block: text, tool_use, thinking, and kinds added later. */
export interface AnthropicResponseBlock {
  type: string
  text?: string
  id?: string
  name?: string
  input?: unknown
  [field: string]: unknown
}

/** The non-streaming answer (`type: 'message'`). */
export interface AnthropicResponse {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicResponseBlock[]
  stop_reason: string | null
  stop_sequence?: string | null
  usage: AnthropicUsage
  [field: string]: unknown
}
