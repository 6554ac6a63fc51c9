/**
 * The OpenAI wire shapes the provider layer reads and produces (spec: CreateChatCompletionRequest,
 * CreateChatCompletionResponse, CreateChatCompletionStreamResponse, CreateCompletion*,
 * CreateEmbedding*, CompletionUsage). Only the fields Ferry reads are named; every type stays
 * open (`[field: string]: unknown`) because the spec keeps growing and unknown fields must pass
 * through untouched in both directions.
 */

/** Plain JSON, as it comes out of JSON.parse. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

export interface StreamOptions {
  include_usage?: boolean | null
  include_obfuscation?: boolean | null
  [field: string]: unknown
}

/** A content part of a user, system, developer, assistant or tool message. */
export interface ChatContentPart {
  type: string
  text?: string
  image_url?: { url: string; detail?: string }
  file?: { file_data?: string; file_id?: string; filename?: string }
  refusal?: string
  [field: string]: unknown
}

export type ChatMessageContent = string | ChatContentPart[] | null

export interface ChatToolCall {
  id: string
  type: 'function' | (string & {})
  function: { name: string; arguments: string }
  [field: string]: unknown
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function' | (string & {})
  content?: ChatMessageContent
  name?: string
  tool_calls?: ChatToolCall[]
  tool_call_id?: string
  refusal?: string | null
  [field: string]: unknown
}

export interface ChatTool {
  type: 'function' | (string & {})
  function?: { name: string; description?: string; parameters?: unknown; strict?: boolean | null }
  [field: string]: unknown
}

export type ChatToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: string; function?: { name: string }; [field: string]: unknown }

/** The body of `POST /v1/chat/completions`, with `model` already set to the upstream model. */
export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  stream?: boolean | null
  stream_options?: StreamOptions | null
  n?: number | null
  max_tokens?: number | null
  max_completion_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
  stop?: string | string[] | null
  tools?: ChatTool[]
  tool_choice?: ChatToolChoice
  parallel_tool_calls?: boolean | null
  [field: string]: unknown
}

export type FinishReason =
  'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | (string & {})

/** CompletionUsage: chat, completions and stream chunks share it. */
export interface CompletionUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: {
    cached_tokens?: number
    audio_tokens?: number
    cache_write_tokens?: number
    [field: string]: unknown
  } | null
  completion_tokens_details?: {
    reasoning_tokens?: number
    audio_tokens?: number
    accepted_prediction_tokens?: number
    rejected_prediction_tokens?: number
    [field: string]: unknown
  } | null
  [field: string]: unknown
}

export interface ChatResponseMessage {
  role: 'assistant'
  content: string | null
  refusal: string | null
  tool_calls?: ChatToolCall[]
  [field: string]: unknown
}

export interface ChatChoice {
  index: number
  message: ChatResponseMessage
  finish_reason: FinishReason
  logprobs: unknown
  [field: string]: unknown
}

/** `chat.completion`: the non-streaming answer. */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: ChatChoice[]
  usage?: CompletionUsage
  [field: string]: unknown
}

/** ChatCompletionMessageToolCallChunk. */
export interface ChatToolCallDelta {
  index: number
  id?: string
  type?: 'function'
  function?: { name?: string; arguments?: string }
  [field: string]: unknown
}

export interface ChatDelta {
  role?: 'assistant' | (string & {})
  content?: string | null
  refusal?: string | null
  tool_calls?: ChatToolCallDelta[]
  [field: string]: unknown
}

export interface ChatChunkChoice {
  index: number
  delta: ChatDelta
  finish_reason: FinishReason | null
  logprobs?: unknown
  [field: string]: unknown
}

/** `chat.completion.chunk`: one streamed event, already parsed. */
export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: ChatChunkChoice[]
  usage?: CompletionUsage | null
  [field: string]: unknown
}

/** The body of `POST /v1/completions` (legacy). */
export interface CompletionRequest {
  model: string
  prompt?: string | string[] | number[] | number[][] | null
  stream?: boolean | null
  stream_options?: StreamOptions | null
  n?: number | null
  max_tokens?: number | null
  [field: string]: unknown
}

export interface CompletionChoice {
  index: number
  text: string
  finish_reason: FinishReason | null
  logprobs: unknown
  [field: string]: unknown
}

/** `text_completion`: used both for the whole answer and for each streamed event. */
export interface Completion {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: CompletionChoice[]
  usage?: CompletionUsage | null
  [field: string]: unknown
}

/** The body of `POST /v1/embeddings`. */
export interface EmbeddingsRequest {
  model: string
  input: string | string[] | number[] | number[][]
  encoding_format?: 'float' | 'base64' | (string & {})
  dimensions?: number
  [field: string]: unknown
}

export interface Embedding {
  object: 'embedding'
  index: number
  /** Float array, or little-endian float32 bytes in base64 when the request asked for base64. */
  embedding: number[] | string
  [field: string]: unknown
}

export interface EmbeddingsResponse {
  object: 'list'
  data: Embedding[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number; [field: string]: unknown }
  [field: string]: unknown
}

/** The body of `POST /v1/responses`; forwarded as it is to upstreams that speak it. */
export interface ResponsesRequest {
  model?: string
  input?: unknown
  stream?: boolean | null
  [field: string]: unknown
}

/** ResponseUsage: note `input_`/`output_`, not `prompt_`/`completion_`. */
export interface ResponseUsage {
  input_tokens: number
  output_tokens: number
  total_tokens: number
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null
  output_tokens_details?: { reasoning_tokens?: number } | null
  [field: string]: unknown
}

/** `response`: the Responses API object. */
export interface ResponseObject {
  id: string
  object: 'response'
  status?: string
  usage?: ResponseUsage | null
  [field: string]: unknown
}

/** One Responses API stream event (`event: <type>` on the wire; `type` is also in the data). */
export interface ResponseStreamEvent {
  type: string
  sequence_number?: number
  [field: string]: unknown
}

/** `Model`, as listed by `GET /v1/models`. */
export interface ModelInfo {
  id: string
  object: 'model'
  created: number
  owned_by: string
  [field: string]: unknown
}
