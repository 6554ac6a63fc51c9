import type { ChatRequest, ChatTool, ChatToolChoice } from '../openai-types.js'
import { invalidField, unsupportedParameter, unsupportedValue } from '../unsupported.js'
import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice } from './anthropic-types.js'
import { toAnthropicMessages } from './to-anthropic-messages.js'

const PROVIDER = 'Anthropic'

/**
 * How each OpenAI chat parameter reaches Anthropic (docs/providers.md has the table):
 * - `translate`: a faithful equivalent exists; done below.
 * - `absent`: allowed only at its default (null, 0, false, 1, empty); otherwise refused.
 * - `not_forwarded`: changes nothing about the generated answer (OpenAI-side storage tags,
 *   cache hints, stream padding), so it is accepted and not sent.
 * Any other field is refused with 400 naming it: Anthropic rejects unknown fields anyway, and
 * Ferry never drops a parameter that could change the answer.
 */
const POLICY: Record<string, 'translate' | 'absent' | 'not_forwarded'> = {
  model: 'translate',
  messages: 'translate',
  max_tokens: 'translate',
  max_completion_tokens: 'translate',
  temperature: 'translate',
  top_p: 'translate',
  stop: 'translate',
  stream: 'translate',
  stream_options: 'translate',
  user: 'translate',
  safety_identifier: 'translate',
  tools: 'translate',
  tool_choice: 'translate',
  parallel_tool_calls: 'translate',
  response_format: 'translate',
  reasoning_effort: 'translate',
  service_tier: 'translate',
  modalities: 'translate',
  n: 'absent',
  logprobs: 'absent',
  top_logprobs: 'absent',
  logit_bias: 'absent',
  frequency_penalty: 'absent',
  presence_penalty: 'absent',
  seed: 'absent',
  store: 'absent',
  audio: 'absent',
  prediction: 'absent',
  verbosity: 'absent',
  web_search_options: 'absent',
  moderation: 'absent',
  functions: 'absent',
  function_call: 'absent',
  metadata: 'not_forwarded',
  prompt_cache_key: 'not_forwarded',
  prompt_cache_retention: 'not_forwarded',
  prompt_cache_options: 'not_forwarded',
}

/** Numeric defaults of `absent` parameters (`seed: 0` is a seed, not a default). */
const NUMERIC_DEFAULTS: Record<string, number> = {
  n: 1,
  top_logprobs: 0,
  frequency_penalty: 0,
  presence_penalty: 0,
}

/** Whether an `absent` parameter holds its "not used" value and so asks nothing of the upstream. */
function isDefault(param: string, value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true
  if (typeof value === 'number') return NUMERIC_DEFAULTS[param] === value
  if (Array.isArray(value)) return value.length === 0
  if (typeof value === 'object') return Object.keys(value).length === 0
  return false
}

/**
 * OpenAI chat request → Anthropic Messages request, or a 400 InvalidRequestError naming the
 * first parameter Anthropic cannot honour.
 */
export function toAnthropicRequest(
  request: ChatRequest,
  options: { defaultMaxTokens: number },
): AnthropicRequest {
  for (const [param, value] of Object.entries(request)) {
    const policy = POLICY[param]
    if (policy === undefined) throw unsupportedParameter(param, PROVIDER)
    if (policy === 'absent' && !isDefault(param, value)) {
      throw typeof value === 'boolean' || typeof value === 'number'
        ? unsupportedValue(param, {
            provider: PROVIDER,
            reason: `${JSON.stringify(value)} is not supported`,
          })
        : unsupportedParameter(param, PROVIDER)
    }
  }
  if (typeof request.model !== 'string' || request.model === '')
    throw invalidField('model', 'a model is required.')
  if (!Array.isArray(request.messages))
    throw invalidField('messages', 'expected an array of messages.')

  const { system, messages } = toAnthropicMessages(request.messages)
  const body: AnthropicRequest = {
    model: request.model,
    max_tokens: maxTokens(request, options.defaultMaxTokens),
    messages,
  }
  if (system.length > 0) body.system = system
  if (typeof request.temperature === 'number') {
    // Anthropic's range is 0..1; scaling OpenAI's 0..2 would change the meaning.
    if (request.temperature > 1)
      throw unsupportedValue('temperature', {
        provider: PROVIDER,
        reason: 'above 1 is not supported',
      })
    body.temperature = request.temperature
  }
  if (typeof request.top_p === 'number') body.top_p = request.top_p
  const stop = stopSequences(request.stop)
  if (stop.length > 0) body.stop_sequences = stop
  const userId = stringOrNull(request.safety_identifier) ?? stringOrNull(request.user)
  if (userId !== null) body.metadata = { user_id: userId }
  Object.assign(body, toolsPart(request), outputConfig(request))
  checkServiceTier(request.service_tier)
  checkModalities(request.modalities)
  return body
}

function maxTokens(request: ChatRequest, fallback: number): number {
  const value = request.max_completion_tokens ?? request.max_tokens
  if (value === null || value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1)
    throw invalidField(
      request.max_completion_tokens === undefined ? 'max_tokens' : 'max_completion_tokens',
      'expected a positive integer.',
    )
  return value
}

function stopSequences(stop: ChatRequest['stop']): string[] {
  if (stop === null || stop === undefined) return []
  if (typeof stop === 'string') return [stop]
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop
  throw invalidField('stop', 'expected a string or an array of strings.')
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

function toolsPart(request: ChatRequest): Pick<AnthropicRequest, 'tools' | 'tool_choice'> {
  const part: Pick<AnthropicRequest, 'tools' | 'tool_choice'> = {}
  if (request.tools !== undefined && request.tools !== null) {
    if (!Array.isArray(request.tools)) throw invalidField('tools', 'expected an array.')
    part.tools = request.tools.map((tool, i) => toAnthropicTool(tool, `tools[${i}]`))
  }
  let choice =
    request.tool_choice === undefined || request.tool_choice === null
      ? undefined
      : toAnthropicToolChoice(request.tool_choice)
  if (
    request.parallel_tool_calls === false &&
    part.tools !== undefined &&
    choice?.type !== 'none'
  ) {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true }
  }
  if (choice !== undefined) part.tool_choice = choice
  return part
}

function toAnthropicTool(tool: ChatTool, at: string): AnthropicTool {
  if (tool.type !== 'function' || tool.function === undefined)
    throw unsupportedValue(`${at}.type`, {
      provider: PROVIDER,
      reason: `'${tool.type}' is not supported; only function tools are`,
    })
  const { name, description, parameters, strict } = tool.function
  return {
    name,
    ...(description === undefined ? {} : { description }),
    // OpenAI allows a tool without parameters; Anthropic requires an object schema.
    input_schema: parameters ?? { type: 'object', properties: {} },
    ...(strict === true ? { strict: true } : {}),
  }
}

function toAnthropicToolChoice(choice: ChatToolChoice): AnthropicToolChoice {
  switch (choice) {
    case 'auto':
      return { type: 'auto' }
    case 'required':
      return { type: 'any' }
    case 'none':
      return { type: 'none' }
    default:
      if (
        typeof choice === 'object' &&
        choice.type === 'function' &&
        typeof choice.function?.name === 'string'
      )
        return { type: 'tool', name: choice.function.name }
      throw unsupportedValue('tool_choice', {
        provider: PROVIDER,
        reason: 'of this form is not supported',
      })
  }
}

const EFFORTS = new Set(['low', 'medium', 'high'])

function outputConfig(request: ChatRequest): Pick<AnthropicRequest, 'output_config'> {
  const config: NonNullable<AnthropicRequest['output_config']> = {}
  const format = request.response_format as
    { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined
  if (format !== null && format !== undefined && format.type !== 'text') {
    if (format.type !== 'json_schema' || format.json_schema?.schema === undefined)
      throw unsupportedValue('response_format', {
        provider: PROVIDER,
        reason: `of type '${String(format.type)}' is not supported; use json_schema`,
      })
    config.format = { type: 'json_schema', schema: format.json_schema.schema }
  }
  const effort = request.reasoning_effort
  if (effort !== null && effort !== undefined) {
    if (typeof effort !== 'string' || !EFFORTS.has(effort))
      throw unsupportedValue('reasoning_effort', {
        provider: PROVIDER,
        reason: `${JSON.stringify(effort)} is not supported`,
      })
    config.effort = effort
  }
  return Object.keys(config).length > 0 ? { output_config: config } : {}
}

function checkServiceTier(tier: unknown): void {
  if (tier === null || tier === undefined || tier === 'auto' || tier === 'default') return
  throw unsupportedValue('service_tier', {
    provider: PROVIDER,
    reason: `${JSON.stringify(tier)} is not supported`,
  })
}

function checkModalities(modalities: unknown): void {
  if (modalities === null || modalities === undefined) return
  if (Array.isArray(modalities) && modalities.every((m) => m === 'text')) return
  throw unsupportedValue('modalities', {
    provider: PROVIDER,
    reason: 'other than text are not supported',
  })
}
