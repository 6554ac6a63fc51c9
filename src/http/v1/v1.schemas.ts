import { z } from 'zod'
import type {
  ChatRequest,
  CompletionRequest,
  EmbeddingsRequest,
  ResponsesRequest,
} from '../../providers/index.js'
import { zodToInvalidRequest } from '../openai-error.js'
import { ZOD_CUSTOM_ISSUE } from '../../lib/zod-custom-issue.js'

/**
 * Wire validation of the customer API's bodies: the fields Ferry reads itself (the model it
 * routes on, what it counts tokens from, how it answers), and the type and documented range of
 * the standard OpenAI parameters it forwards (spec: CreateChatCompletionRequest,
 * CreateCompletionRequest, CreateEmbeddingRequest, CreateResponse), so that a wrongly typed
 * `temperature` is a 400 naming it, as OpenAI answers, instead of a call upstream. Every other
 * field passes through untouched (`looseObject`): the spec keeps growing, providers add their
 * own and clients send undocumented params. `null` is accepted exactly where the spec says
 * nullable. Flat primitives only, no transforms: this runs on every request.
 */

/**
 * What a rejected value was, for the message: numbers and booleans as they are, anything else
 * only by its kind (a string may be a prompt or a secret, and messages never hold either).
 */
function describeInput(input: unknown): string {
  if (input === null) return 'null'
  if (Array.isArray(input)) return 'an array'
  switch (typeof input) {
    case 'number':
    case 'boolean':
      return String(input)
    case 'string':
      return input === '' ? 'an empty string' : 'a string'
    case 'object':
      return 'an object'
    default:
      return typeof input
  }
}

/**
 * One message for every way a field can fail (its type and its range). Runs only on failure;
 * `zodToInvalidRequest` prefixes it with `Invalid value for '<param>': `.
 */
const expecting = (expected: string) => ({
  error: (issue: { input?: unknown }) =>
    `expected ${expected}, but got ${describeInput(issue.input)}.`,
})

const numberIn = (min: number, max: number) =>
  z
    .number(expecting(`a number from ${min} to ${max}`))
    .min(min)
    .max(max)
const integerIn = (min: number, max: number) =>
  z
    .number(expecting(`an integer from ${min} to ${max}`))
    .int()
    .min(min)
    .max(max)
const integerFrom = (min: number) =>
  z
    .number(expecting(`an integer of at least ${min}`))
    .int()
    .min(min)
const boolean = z.boolean(expecting('a boolean'))
const string = z.string(expecting('a string'))
const EMPTY_STRING_REFUSAL = 'expected a non-empty string, but got an empty string.'
const nonEmptyString = z.string(expecting('a non-empty string')).min(1, EMPTY_STRING_REFUSAL)
const object = z.looseObject({}, expecting('an object'))

/**
 * Spec `seed` is an int64, but JSON.parse reads a number into a double, which holds integers
 * exactly only up to 2^53 - 1: a larger seed has already lost digits (9007199254740993 arrives
 * as ...992) and would go upstream as a different seed. Refused, saying the range we can carry.
 */
const seed = z
  .number(
    expecting(
      `an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} (a larger seed cannot be forwarded exactly)`,
    ),
  )
  .int()
  .min(Number.MIN_SAFE_INTEGER)
  .max(Number.MAX_SAFE_INTEGER)

/** Spec Metadata: a "Set of 16 key-value pairs" (its description; the schema has no bound). */
const METADATA_MAX_PAIRS = 16

const STOP = 'a string or an array of 1 to 4 strings'
/** Spec StopConfiguration. The string is tried first: it is the common form. */
const stop = z.union(
  [
    string,
    z
      .array(z.string(expecting(STOP)), expecting(STOP))
      .min(1)
      .max(4),
  ],
  expecting(STOP),
)

const NON_EMPTY_TOKENS = 'a non-empty array of integer tokens'
const ANY_TOKEN_ITEM = `a string, an integer token or ${NON_EMPTY_TOKENS}`
const TOKEN_ITEM_KINDS = {
  text: 'a string',
  token: 'an integer token',
  tokens: NON_EMPTY_TOKENS,
} as const

/** What one item of a prompt array is; undefined for anything the spec does not allow there. */
function kindOfTokenItem(item: unknown): keyof typeof TOKEN_ITEM_KINDS | undefined {
  if (typeof item === 'string') return 'text'
  if (Number.isSafeInteger(item)) return 'token'
  if (Array.isArray(item)) return 'tokens'
  return undefined
}

/**
 * Spec CreateCompletionRequest `prompt` and CreateEmbeddingRequest `input`: a string, or an array
 * of strings, of integer tokens or of non-empty arrays of integer tokens, never a mix. An array
 * is walked once and the first item that breaks its kind is named (`prompt[2]`, `input[0][5]`):
 * a union of the four array forms would run every item through each form that fails first.
 */
function textOrTokens(options: {
  /** What the whole value may be, for the message. */
  expected: string
  /** Also refuse the empty string, alone or as an item. */
  nonEmpty: boolean
  /** Bounds of the outer array. @default no bounds */
  items?: { min: number; max: number }
}) {
  const { expected, nonEmpty, items: bounds } = options
  return z.union(
    [
      z.string(expecting(expected)).min(nonEmpty ? 1 : 0),
      z.array(z.unknown()).superRefine((items, ctx) => {
        const refuse = (path: number[], message: string, input: unknown) => {
          ctx.addIssue({ code: ZOD_CUSTOM_ISSUE, path, input, message })
        }
        if (bounds && (items.length < bounds.min || items.length > bounds.max)) {
          const got = items.length === 0 ? 'an empty array' : `an array of ${items.length} items`
          return refuse([], `expected ${expected}, but got ${got}.`, items)
        }
        if (items.length === 0) return
        const kind = kindOfTokenItem(items[0])
        if (kind === undefined)
          return refuse(
            [0],
            `expected ${ANY_TOKEN_ITEM}, but got ${describeInput(items[0])}.`,
            items[0],
          )
        for (let i = 0; i < items.length; i++) {
          const item = items[i]
          if (kindOfTokenItem(item) !== kind) {
            const message = `expected ${TOKEN_ITEM_KINDS[kind]} (as the first item is), but got ${describeInput(item)}.`
            return refuse([i], message, item)
          }
          // Embeddings: an empty string embeds nothing, inside an array as much as alone.
          if (nonEmpty && item === '') return refuse([i], EMPTY_STRING_REFUSAL, item)
          if (kind !== 'tokens') continue
          const tokens = item as unknown[]
          if (tokens.length === 0)
            return refuse([i], `expected ${NON_EMPTY_TOKENS}, but got an empty array.`, item)
          for (let j = 0; j < tokens.length; j++)
            if (!Number.isSafeInteger(tokens[j]))
              return refuse(
                [i, j],
                `expected an integer token, but got ${describeInput(tokens[j])}.`,
                tokens[j],
              )
        }
      }),
    ],
    expecting(expected),
  )
}

const INPUT_ITEMS = 'a string or an array of input item objects'
/**
 * Spec InputParam (Responses): text, or a list of input items. Every item type in the spec is an
 * object, but there are dozens of them and new ones keep coming, so only that is checked: each
 * item passes through untouched for the upstream to judge. The first item that is not an
 * object is named (`input[2]`).
 */
const responsesInput = z.union(
  [
    z.string(),
    z.array(z.unknown()).superRefine((items, ctx) => {
      const index = items.findIndex(
        (item) => typeof item !== 'object' || item === null || Array.isArray(item),
      )
      if (index === -1) return
      const message = `expected an input item object, but got ${describeInput(items[index])}.`
      ctx.addIssue({ code: ZOD_CUSTOM_ISSUE, path: [index], input: items[index], message })
    }),
  ],
  expecting(INPUT_ITEMS),
)

const fields = {
  model: nonEmptyString,
  stream: boolean.nullable().optional(),
  temperature: numberIn(0, 2).nullable().optional(),
  top_p: numberIn(0, 1).nullable().optional(),
  /** presence_penalty, frequency_penalty. */
  penalty: numberIn(-2, 2).nullable().optional(),
  n: integerIn(1, 128).nullable().optional(),
  seed: seed.nullable().optional(),
  stop: stop.nullable().optional(),
  logit_bias: z
    .record(z.string(), numberIn(-100, 100), expecting('an object of token IDs to numbers'))
    .nullable()
    .optional(),
  top_logprobs: integerIn(0, 20).nullable().optional(),
  /**
   * Spec Metadata: at most 16 pairs, string keys of up to 64 characters, string values of up to
   * 512. The count is checked only once every pair is valid (zod skips a refinement then).
   */
  metadata: z
    .record(
      z.string().max(64),
      z.string(expecting('a string of at most 512 characters')).max(512),
      {
        // zod reports a bad key on the record itself (code invalid_key), with the key in the path.
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'expected keys of at most 64 characters, but got a longer one.'
            : `expected an object of strings (keys up to 64 characters), but got ${describeInput(issue.input)}.`,
      },
    )
    .refine((pairs) => Object.keys(pairs).length <= METADATA_MAX_PAIRS, {
      error: (issue) =>
        `expected an object of at most ${METADATA_MAX_PAIRS} key-value pairs, but got ${Object.keys(issue.input as object).length}.`,
    })
    .nullable()
    .optional(),
  user: string.optional(),
  safety_identifier: z
    .string(expecting('a string of at most 64 characters'))
    .max(64)
    .nullable()
    .optional(),
  prompt_cache_key: string.nullable().optional(),
  store: boolean.nullable().optional(),
  tools: z.array(object, expecting('an array of tool objects')).optional(),
  tool_choice: z.union([string, object], expecting('a string or an object')).optional(),
} as const

/** Spec ChatCompletionStreamOptions (chat and completions). */
const chatStreamOptions = z
  .looseObject(
    { include_usage: boolean.optional(), include_obfuscation: boolean.optional() },
    expecting('an object'),
  )
  .nullable()
  .optional()

const MESSAGES = 'a non-empty array of message objects'
const chatMessage = z.looseObject(
  {
    role: nonEmptyString,
  },
  expecting('a message object'),
)

export const chatRequestSchema = z.looseObject({
  model: fields.model,
  messages: z
    .array(chatMessage, expecting(MESSAGES))
    .min(1, `expected ${MESSAGES}, but got an empty array.`),
  stream: fields.stream,
  stream_options: chatStreamOptions,
  temperature: fields.temperature,
  top_p: fields.top_p,
  n: fields.n,
  // The spec sets no minimum, OpenAI refuses 0 ("Expected a value >= 1"). Billing holds read
  // these (src/gateway/estimate-tokens.ts) as they are: what passes here is what is held.
  max_tokens: integerFrom(1).nullable().optional(),
  max_completion_tokens: integerFrom(1).nullable().optional(),
  presence_penalty: fields.penalty,
  frequency_penalty: fields.penalty,
  stop: fields.stop,
  seed: fields.seed,
  logit_bias: fields.logit_bias,
  logprobs: boolean.nullable().optional(),
  top_logprobs: fields.top_logprobs,
  user: fields.user,
  safety_identifier: fields.safety_identifier,
  prompt_cache_key: fields.prompt_cache_key,
  store: fields.store,
  metadata: fields.metadata,
  tools: fields.tools,
  tool_choice: fields.tool_choice,
  parallel_tool_calls: boolean.optional(),
  response_format: object.optional(),
})

export const completionRequestSchema = z.looseObject({
  model: fields.model,
  // Required in the spec, yet documented as defaulting to <|endoftext|> when not given: absent
  // stays accepted, as it always was here. The array of strings alone has no minimum.
  prompt: textOrTokens({
    expected: 'a string, or an array of strings, of integer tokens or of arrays of integer tokens',
    nonEmpty: false,
  })
    .nullable()
    .optional(),
  stream: fields.stream,
  stream_options: chatStreamOptions,
  temperature: fields.temperature,
  top_p: fields.top_p,
  n: fields.n,
  // The spec's minimum is 0 here (with `echo`, a prompt is scored without generating).
  max_tokens: integerFrom(0).nullable().optional(),
  presence_penalty: fields.penalty,
  frequency_penalty: fields.penalty,
  stop: fields.stop,
  seed: fields.seed,
  logit_bias: fields.logit_bias,
  // Not chat's boolean: the number of most likely tokens to return, 0..5.
  logprobs: integerIn(0, 5).nullable().optional(),
  best_of: integerIn(0, 20).nullable().optional(),
  echo: boolean.nullable().optional(),
  suffix: string.nullable().optional(),
  user: fields.user,
})

export const embeddingsRequestSchema = z.looseObject({
  model: fields.model,
  // The spec's description adds what its schema leaves out: "cannot be an empty string".
  input: textOrTokens({
    expected:
      'a non-empty string, or an array of 1 to 2048 strings, integer tokens or arrays of integer tokens',
    nonEmpty: true,
    items: { min: 1, max: 2048 },
  }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: integerFrom(1).optional(),
  user: fields.user,
})

export const responsesRequestSchema = z.looseObject({
  model: fields.model,
  // Optional (a stored prompt or a previous response may supply it) but, in the spec, not null.
  input: responsesInput.optional(),
  stream: fields.stream,
  // Spec ResponseStreamOptions: there is no `include_usage` on this API.
  stream_options: z
    .looseObject({ include_obfuscation: boolean.optional() }, expecting('an object'))
    .nullable()
    .optional(),
  temperature: fields.temperature,
  top_p: fields.top_p,
  // OpenAI's minimum is 16 on this API; billing holds read it as chat's max_tokens.
  max_output_tokens: integerFrom(16).nullable().optional(),
  top_logprobs: fields.top_logprobs,
  user: fields.user,
  safety_identifier: fields.safety_identifier,
  prompt_cache_key: fields.prompt_cache_key,
  store: fields.store,
  metadata: fields.metadata,
  tools: fields.tools,
  tool_choice: fields.tool_choice,
  parallel_tool_calls: boolean.nullable().optional(),
  instructions: string.nullable().optional(),
  previous_response_id: string.nullable().optional(),
  background: boolean.nullable().optional(),
  // The spec gives no minimum; a negative count of tool calls means nothing.
  max_tool_calls: integerFrom(0).nullable().optional(),
})

/**
 * Parse a body, or throw a 400 in OpenAI's shape whose `param` names the offending field.
 * Answers zod's copy, which holds every field of the client's body with its value untouched
 * (nothing here transforms or defaults a value; v1.schemas.test.ts checks it), the keys the
 * schema knows first. Answering the client's own object instead, to keep its key order, was
 * measured 15–20 % slower on priced streams (docs/performance.md, round 4) for a reason not yet
 * found; JSON key order carries no meaning for OpenAI's API.
 */
function parseWith<T>(schema: z.ZodType, body: unknown): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw zodToInvalidRequest(parsed.error)
  return parsed.data as T
}

export const parseChatRequest = (body: unknown) => parseWith<ChatRequest>(chatRequestSchema, body)
export const parseCompletionRequest = (body: unknown) =>
  parseWith<CompletionRequest>(completionRequestSchema, body)
export const parseEmbeddingsRequest = (body: unknown) =>
  parseWith<EmbeddingsRequest>(embeddingsRequestSchema, body)
export const parseResponsesRequest = (body: unknown) =>
  parseWith<ResponsesRequest & { model: string }>(responsesRequestSchema, body)
