import fc from 'fast-check'
import type { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { estimateRequestTokens, type GatewayEndpoint } from '../../gateway/index.js'
import { InvalidRequestError } from '../../lib/errors.js'
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingsRequestSchema,
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingsRequest,
  parseResponsesRequest,
  responsesRequestSchema,
} from './v1.schemas.js'

type Parse = (body: unknown) => unknown

/** A rejected field value whose `param` is a path inside it (`stream_options.include_usage`). */
interface Nested {
  nested: true
  param: string
  value: unknown
}
const at = (param: string, value: unknown): Nested => ({ nested: true, param, value })
const isNested = (v: unknown): v is Nested =>
  typeof v === 'object' && v !== null && (v as Partial<Nested>).nested === true

interface FieldCase {
  field: string
  valid: unknown[]
  wrongType: unknown[]
  outOfRange?: unknown[]
}

function refusalOf(parse: Parse, body: unknown): InvalidRequestError {
  try {
    parse(body)
  } catch (err) {
    if (err instanceof InvalidRequestError) return err
    throw err
  }
  throw new Error(`accepted ${JSON.stringify(body)}`)
}

// Shared by several endpoints (spec ModelResponseProperties and the chat/completions params).
const temperature: FieldCase = {
  field: 'temperature',
  valid: [0, 0.7, 1, 2, null],
  wrongType: ['0.7', true, [], {}],
  outOfRange: [-0.1, 2.01, 100],
}
const topP: FieldCase = {
  field: 'top_p',
  valid: [0, 0.5, 1, null],
  wrongType: ['1', false],
  outOfRange: [-0.01, 1.5],
}
const n: FieldCase = {
  field: 'n',
  valid: [1, 2, 128, null],
  wrongType: ['2', 1.5, true],
  outOfRange: [0, -1, 129],
}
const penalty = (field: string): FieldCase => ({
  field,
  valid: [-2, 0, 1.5, 2, null],
  wrongType: ['1', false],
  outOfRange: [-2.5, 3],
})
const stop: FieldCase = {
  field: 'stop',
  valid: ['\n', ['END'], ['a', 'b', 'c', 'd'], null],
  wrongType: [5, {}, [1], ['a', null], true],
  outOfRange: [[], ['a', 'b', 'c', 'd', 'e']],
}
// Integers beyond 2^53 - 1 have lost digits in JSON.parse: they cannot be forwarded exactly.
const seed: FieldCase = {
  field: 'seed',
  valid: [0, -5, 42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null],
  wrongType: ['42', 1.5, true],
  outOfRange: [2 ** 53, -(2 ** 53), 2 ** 62, 2 ** 64, -(2 ** 64)],
}
const logitBias: FieldCase = {
  field: 'logit_bias',
  valid: [{ '50256': -100 }, { '1': 100, '2': 0.5 }, {}, null],
  wrongType: ['x', [], at('logit_bias.50256', { '50256': '-100' })],
  outOfRange: [at('logit_bias.50256', { '50256': -101 }), at('logit_bias.7', { '7': 100.5 })],
}
const topLogprobs: FieldCase = {
  field: 'top_logprobs',
  valid: [0, 5, 20, null],
  wrongType: ['5', 2.5],
  outOfRange: [-1, 21],
}
// `user` is not nullable in the spec.
const user: FieldCase = { field: 'user', valid: ['user-1234', ''], wrongType: [null, 5, {}] }
const safetyIdentifier: FieldCase = {
  field: 'safety_identifier',
  valid: ['hashed-user-7', 'a'.repeat(64), null],
  wrongType: [5],
  outOfRange: ['a'.repeat(65)],
}
const promptCacheKey: FieldCase = {
  field: 'prompt_cache_key',
  valid: ['k', null],
  wrongType: [5, []],
}
const store: FieldCase = { field: 'store', valid: [true, false, null], wrongType: ['yes', 0] }
/** `count` metadata pairs (spec Metadata allows 16). */
const pairs = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_v, i) => [`key_${i}`, 'v']))
const metadata: FieldCase = {
  field: 'metadata',
  valid: [{ team: 'a' }, {}, pairs(16), null],
  wrongType: ['x', [], at('metadata.team', { team: 5 })],
  outOfRange: [
    at('metadata.team', { team: 'v'.repeat(513) }),
    at(`metadata.${'k'.repeat(64)}…`, { ['k'.repeat(65)]: 'v' }),
    pairs(17),
    pairs(100),
  ],
}
const tools: FieldCase = {
  field: 'tools',
  valid: [[], [{ type: 'function', function: { name: 'lookup', parameters: {} } }]],
  wrongType: [{}, 'lookup', null, at('tools[0]', ['lookup']), at('tools[1]', [{}, 5])],
}
const toolChoice: FieldCase = {
  field: 'tool_choice',
  valid: ['auto', 'none', 'required', { type: 'function', function: { name: 'lookup' } }],
  wrongType: [5, [], null, true],
}
const stream: FieldCase = { field: 'stream', valid: [true, false, null], wrongType: ['true', 1] }
const chatStreamOptions: FieldCase = {
  field: 'stream_options',
  valid: [{ include_usage: true }, { include_obfuscation: false, future_option: 1 }, {}, null],
  wrongType: [
    'x',
    [],
    at('stream_options.include_usage', { include_usage: 'yes' }),
    // Spec ChatCompletionStreamOptions: the object is nullable, its booleans are not.
    at('stream_options.include_usage', { include_usage: null }),
    at('stream_options.include_obfuscation', { include_obfuscation: 1 }),
    at('stream_options.include_obfuscation', { include_obfuscation: null }),
  ],
}

const ENDPOINTS: {
  name: string
  parse: Parse
  base: Record<string, unknown>
  cases: FieldCase[]
}[] = [
  {
    name: 'chat completions',
    parse: parseChatRequest,
    base: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi.' }] },
    cases: [
      stream,
      chatStreamOptions,
      temperature,
      topP,
      n,
      {
        field: 'max_tokens',
        valid: [1, 4096, null],
        wrongType: ['64', 64.5, false],
        outOfRange: [0, -1],
      },
      {
        field: 'max_completion_tokens',
        valid: [1, 4096, null],
        wrongType: ['64', 64.5, false],
        outOfRange: [0, -1],
      },
      penalty('presence_penalty'),
      penalty('frequency_penalty'),
      stop,
      seed,
      logitBias,
      { field: 'logprobs', valid: [true, false, null], wrongType: ['true', 1] },
      topLogprobs,
      user,
      safetyIdentifier,
      promptCacheKey,
      store,
      metadata,
      tools,
      toolChoice,
      // Not nullable on chat (spec ParallelToolCalls), nullable on the Responses API.
      { field: 'parallel_tool_calls', valid: [true, false], wrongType: ['true', null, 1] },
      {
        field: 'response_format',
        valid: [{ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'x' } }],
        wrongType: ['json_object', [], null],
      },
    ],
  },
  {
    name: 'completions',
    parse: parseCompletionRequest,
    base: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test.' },
    cases: [
      {
        field: 'prompt',
        // Spec: a string, strings, integer tokens or arrays of them; only strings may be [].
        valid: ['Say this.', '', ['Say', 'this'], [], [1212, 318], [[1212, 318], [13]], null],
        wrongType: [
          5,
          true,
          {},
          { text: 'Say this.' },
          at('prompt[1]', ['Say', 7]),
          at('prompt[1]', [1212, 'this']),
          at('prompt[1]', [[1212], 13]),
          at('prompt[0]', [{ text: 'Say this.' }]),
          at('prompt[0]', [null]),
          at('prompt[0]', [1.5]),
          at('prompt[0]', [2 ** 53]),
          at('prompt[0][1]', [[1212, 'this']]),
          at('prompt[1][0]', [[1], [[1]]]),
          at('prompt[1]', [[1212], []]),
        ],
      },
      stream,
      chatStreamOptions,
      temperature,
      topP,
      n,
      // The spec's minimum is 0 on this endpoint (echo a prompt without generating).
      { field: 'max_tokens', valid: [0, 16, null], wrongType: ['16', 1.5], outOfRange: [-1] },
      penalty('presence_penalty'),
      penalty('frequency_penalty'),
      stop,
      seed,
      logitBias,
      // An integer here, not chat's boolean.
      { field: 'logprobs', valid: [0, 5, null], wrongType: [true, '1', 1.5], outOfRange: [-1, 6] },
      { field: 'best_of', valid: [0, 1, 20, null], wrongType: ['2'], outOfRange: [-1, 21] },
      { field: 'echo', valid: [true, null], wrongType: ['yes', 1] },
      { field: 'suffix', valid: ['\n', null], wrongType: [5, []] },
      user,
    ],
  },
  {
    name: 'embeddings',
    parse: parseEmbeddingsRequest,
    base: { model: 'text-embedding-3-small', input: 'hello' },
    cases: [
      {
        field: 'input',
        valid: ['hello', ['a', 'b'], [1212, 318], [[1212, 318], [13]], Array(2048).fill('a')],
        // Not nullable; unlike a prompt, every array form has 1 to 2048 items.
        wrongType: [
          null,
          5,
          {},
          at('input[1]', ['a', 7]),
          at('input[1]', [1212, [13]]),
          at('input[0]', [{ text: 'hello' }]),
          at('input[0][1]', [[1212, 0.5]]),
          at('input[1]', [[1212], []]),
        ],
        // The spec's description: the string "cannot be an empty string".
        outOfRange: ['', at('input[1]', ['a', '']), [], Array(2049).fill('a'), Array(2049).fill(1)],
      },
      {
        field: 'dimensions',
        valid: [1, 256],
        wrongType: ['256', 1.5, null],
        outOfRange: [0, -1],
      },
      user,
    ],
  },
  {
    name: 'responses',
    parse: parseResponsesRequest,
    base: { model: 'gpt-4o-mini', input: 'Hi.' },
    cases: [
      {
        field: 'input',
        // Only the outer shape: any object is an item, whatever its type (or none).
        valid: [
          'Hi.',
          '',
          [],
          [{ role: 'user', content: 'Hi.' }],
          [{ type: 'item_reference', id: 'msg_1' }, { type: 'x_future_item', payload: [1] }, {}],
        ],
        wrongType: [
          null,
          5,
          true,
          { role: 'user', content: 'Hi.' },
          at('input[0]', ['Hi.']),
          at('input[2]', [{ role: 'user', content: 'Hi.' }, {}, 7]),
          at('input[1]', [{}, null]),
          at('input[1]', [{}, [{ role: 'user' }]]),
        ],
      },
      stream,
      {
        field: 'stream_options',
        // This API has no `include_usage`: it is an unknown field here, passed through.
        valid: [{ include_obfuscation: true }, { include_usage: 'anything' }, null],
        wrongType: [
          'x',
          at('stream_options.include_obfuscation', { include_obfuscation: 'yes' }),
          // Spec ResponseStreamOptions: the object is nullable, include_obfuscation is not.
          at('stream_options.include_obfuscation', { include_obfuscation: null }),
        ],
      },
      temperature,
      topP,
      {
        field: 'max_output_tokens',
        valid: [16, 1024, null],
        wrongType: ['1024', 16.5, false],
        outOfRange: [15, 1, 0],
      },
      topLogprobs,
      user,
      safetyIdentifier,
      promptCacheKey,
      store,
      metadata,
      tools,
      toolChoice,
      { field: 'parallel_tool_calls', valid: [true, false, null], wrongType: ['yes', 1] },
      { field: 'instructions', valid: ['Be brief.', null], wrongType: [5, []] },
      { field: 'previous_response_id', valid: ['resp_123', null], wrongType: [5] },
      { field: 'background', valid: [true, null], wrongType: ['no'] },
      {
        field: 'max_tool_calls',
        valid: [0, 3, null],
        wrongType: ['3', 2.5, true],
        outOfRange: [-1, -100],
      },
    ],
  },
]

describe('the /v1 body parsers', () => {
  it("answer every field of the client's body with its value untouched", () => {
    const text =
      '{"stream":false,"x_future":{"b":1,"a":2},"messages":[{"content":"hi","role":"user"}],"model":"m"}'
    const body = JSON.parse(text) as unknown
    const parsed = parseChatRequest(body)
    expect(parsed).toStrictEqual(body)
    const embeddings = JSON.parse('{"input":"x","model":"e"}') as unknown
    expect(parseEmbeddingsRequest(embeddings)).toStrictEqual(embeddings)
  })

  for (const endpoint of ENDPOINTS) {
    describe(endpoint.name, () => {
      for (const { field, valid, wrongType, outOfRange = [] } of endpoint.cases) {
        it(`accepts a valid ${field}`, () => {
          for (const value of valid) {
            const body = { ...endpoint.base, [field]: value }
            expect(endpoint.parse(body), JSON.stringify(value)).toStrictEqual(body)
          }
        })

        it(`refuses a wrongly typed or out-of-range ${field}, naming it`, () => {
          expect(wrongType.length).toBeGreaterThan(0)
          for (const invalid of [...wrongType, ...outOfRange]) {
            const { param, value: fieldValue } = isNested(invalid)
              ? invalid
              : { param: field, value: invalid }
            const err = refusalOf(endpoint.parse, { ...endpoint.base, [field]: fieldValue })
            expect(err.status).toBe(400)
            expect(err.type).toBe('invalid_request_error')
            expect(err.param, JSON.stringify(fieldValue)).toBe(param)
            const prefix = `Invalid value for '${param}': expected `
            expect(err.message.startsWith(prefix), err.message).toBe(true)
          }
        })
      }

      it('passes unknown fields of any type through untouched', () => {
        const body = {
          ...endpoint.base,
          some_future_param: 'a string',
          temperature_hint: { nested: [1, 'two', null] },
          x_provider_option: -1,
        }
        expect(endpoint.parse(body)).toStrictEqual(body)
      })
    })
  }

  it('names a nested field as OpenAI does: indices in brackets, keys after dots', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'Hi.' }] }
    const second = { messages: [{ role: 'user', content: 'Hi.' }, { content: 'no role' }] }
    expect(refusalOf(parseChatRequest, { ...base, ...second }).param).toBe('messages[1].role')
    const tools = { tools: [{ type: 'function' }, 'lookup'] }
    expect(refusalOf(parseResponsesRequest, { model: 'm', input: 'Hi.', ...tools }).param).toBe(
      'tools[1]',
    )
    expect(refusalOf(parseChatRequest, { ...base, stop: ['a', 7] }).param).toBe('stop')
    expect(refusalOf(parseChatRequest, { ...base, temperature: 'x' }).param).toBe('temperature')
  })

  it('says what was expected and what arrived, never echoing a string', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'Hi.' }] }
    expect(refusalOf(parseChatRequest, { ...base, temperature: 'sk-live-1234' }).message).toBe(
      "Invalid value for 'temperature': expected a number from 0 to 2, but got a string.",
    )
    expect(refusalOf(parseChatRequest, { ...base, temperature: 3 }).message).toBe(
      "Invalid value for 'temperature': expected a number from 0 to 2, but got 3.",
    )
    expect(refusalOf(parseChatRequest, { ...base, n: 1.5 }).message).toBe(
      "Invalid value for 'n': expected an integer from 1 to 128, but got 1.5.",
    )
    expect(refusalOf(parseChatRequest, { ...base, max_tokens: 0 }).message).toBe(
      "Invalid value for 'max_tokens': expected an integer of at least 1, but got 0.",
    )
    expect(refusalOf(parseChatRequest, { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }).message).toBe(
      "Invalid value for 'stop': expected a string or an array of 1 to 4 strings, but got an array.",
    )
    expect(
      refusalOf(parseChatRequest, { ...base, stream_options: { include_usage: 'yes' } }).message,
    ).toBe(
      "Invalid value for 'stream_options.include_usage': expected a boolean, but got a string.",
    )
    expect(refusalOf(parseChatRequest, { ...base, metadata: pairs(17) }).message).toBe(
      "Invalid value for 'metadata': expected an object of at most 16 key-value pairs, but got 17.",
    )
    // The text a client sends, as JSON.parse reads it: the last digit is already gone.
    const bigSeed = JSON.parse('{"seed":9007199254740993}') as object
    expect(refusalOf(parseChatRequest, { ...base, ...bigSeed }).message).toBe(
      "Invalid value for 'seed': expected an integer from -9007199254740991 to 9007199254740991 (a larger seed cannot be forwarded exactly), but got 9007199254740992.",
    )
    expect(refusalOf(parseChatRequest, { ...base, user: null }).message).toBe(
      "Invalid value for 'user': expected a string, but got null.",
    )
    expect(
      refusalOf(parseResponsesRequest, { model: 'm', input: [{ role: 'user' }, 'Hi.'] }).message,
    ).toBe("Invalid value for 'input[1]': expected an input item object, but got a string.")
    expect(refusalOf(parseResponsesRequest, { model: 'm', max_tool_calls: -1 }).message).toBe(
      "Invalid value for 'max_tool_calls': expected an integer of at least 0, but got -1.",
    )
    expect(refusalOf(parseResponsesRequest, { model: 'm', input: 5 }).message).toBe(
      "Invalid value for 'input': expected a string or an array of input item objects, but got 5.",
    )
    const chat = { model: 'm', messages: [{ role: 'user', content: 'Hi.' }] }
    expect(refusalOf(parseChatRequest, { ...chat, messages: [{ role: '' }] }).message).toBe(
      "Invalid value for 'messages[0].role': expected a non-empty string, but got an empty string.",
    )
    expect(refusalOf(parseChatRequest, { ...chat, messages: [] }).message).toBe(
      "Invalid value for 'messages': expected a non-empty array of message objects, but got an empty array.",
    )
    expect(refusalOf(parseChatRequest, { ...chat, model: '' }).message).toBe(
      "Invalid value for 'model': expected a non-empty string, but got an empty string.",
    )
    // A key is client input: the refusal names it, cut to 64 characters, never echoes it whole.
    const longKey = refusalOf(parseChatRequest, { ...chat, metadata: { ['k'.repeat(5000)]: 'v' } })
    expect(longKey.param).toBe(`metadata.${'k'.repeat(64)}…`)
    expect(longKey.message).toBe(
      `Invalid value for 'metadata.${'k'.repeat(64)}…': expected keys of at most 64 characters, but got a longer one.`,
    )
    const embeddings = { model: 'e' }
    expect(refusalOf(parseEmbeddingsRequest, { ...embeddings, input: [] }).message).toBe(
      "Invalid value for 'input': expected a non-empty string, or an array of 1 to 2048 strings, integer tokens or arrays of integer tokens, but got an empty array.",
    )
    expect(refusalOf(parseEmbeddingsRequest, { ...embeddings, input: '' }).message).toBe(
      "Invalid value for 'input': expected a non-empty string, or an array of 1 to 2048 strings, integer tokens or arrays of integer tokens, but got an empty string.",
    )
    expect(refusalOf(parseEmbeddingsRequest, { ...embeddings, input: ['a', ''] }).message).toBe(
      "Invalid value for 'input[1]': expected a non-empty string, but got an empty string.",
    )
    expect(refusalOf(parseEmbeddingsRequest, { ...embeddings, input: [1, 'x'] }).message).toBe(
      "Invalid value for 'input[1]': expected an integer token (as the first item is), but got a string.",
    )
    const prompt = { model: 'm' }
    expect(refusalOf(parseCompletionRequest, { ...prompt, prompt: { text: 'Hi.' } }).message).toBe(
      "Invalid value for 'prompt': expected a string, or an array of strings, of integer tokens or of arrays of integer tokens, but got an object.",
    )
    expect(refusalOf(parseCompletionRequest, { ...prompt, prompt: ['Hi.', 7] }).message).toBe(
      "Invalid value for 'prompt[1]': expected a string (as the first item is), but got 7.",
    )
    expect(
      refusalOf(parseCompletionRequest, {
        ...prompt,
        prompt: [
          [1, 2],
          [3, 'x'],
        ],
      }).message,
    ).toBe("Invalid value for 'prompt[1][1]': expected an integer token, but got a string.")
  })
})

describe('the billing hold and the schema agree on output limits', () => {
  const prompt = { model: 'mock', messages: [{ role: 'user', content: 'Say something.' }] }
  const estimate = (endpoint: GatewayEndpoint, parse: Parse, body: object) => {
    parse(body)
    return estimateRequestTokens(endpoint, body)
  }

  it('holds exactly the max_tokens or max_completion_tokens (times n) the schema accepts', () => {
    const floor = estimate('chat.completions', parseChatRequest, { ...prompt, max_tokens: 1 })
    fc.assert(
      fc.property(
        fc.constantFrom('max_tokens', 'max_completion_tokens'),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 128 }),
        (field, limit, choices) => {
          const held = estimate('chat.completions', parseChatRequest, {
            ...prompt,
            [field]: limit,
            n: choices,
          })
          expect(held - floor).toBe(limit * choices - 1)
        },
      ),
    )
  })

  it('holds every completion that best_of generates, not only the n returned', () => {
    const completion = { model: 'mock', prompt: 'Say something.', max_tokens: 10 }
    const one = estimate('completions', parseCompletionRequest, completion)
    expect(
      estimate('completions', parseCompletionRequest, { ...completion, best_of: 5 }) - one,
    ).toBe(40)
    expect(
      estimate('completions', parseCompletionRequest, { ...completion, best_of: 3, n: 2 }) - one,
    ).toBe(20)
    expect(estimate('completions', parseCompletionRequest, { ...completion, n: 4 }) - one).toBe(30)
  })

  it('holds what completions and responses accept at their minimums (0 and 16)', () => {
    const completion = { model: 'mock', prompt: 'Say something.' }
    const none = estimate('completions', parseCompletionRequest, { ...completion, max_tokens: 0 })
    expect(
      estimate('completions', parseCompletionRequest, { ...completion, max_tokens: 5 }) - none,
    ).toBe(5)
    const response = { model: 'mock', input: 'Say something.' }
    const least = estimate('responses', parseResponsesRequest, {
      ...response,
      max_output_tokens: 16,
    })
    expect(
      estimate('responses', parseResponsesRequest, { ...response, max_output_tokens: 100 }) - least,
    ).toBe(84)
  })
})

// Valid values of every standard field the schemas check, for the property below.
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null })
const text = fc.string({ maxLength: 12 })
const keyText = text.filter((k) => k !== '__proto__')
const COMMON = {
  temperature: nullable(fc.double({ min: 0, max: 2, noNaN: true })),
  top_p: nullable(fc.double({ min: 0, max: 1, noNaN: true })),
  user: text,
}
const SAMPLING = {
  ...COMMON,
  stream: nullable(fc.boolean()),
  stream_options: nullable(
    fc.record(
      { include_usage: fc.boolean(), include_obfuscation: fc.boolean() },
      { requiredKeys: [] },
    ),
  ),
  n: nullable(fc.integer({ min: 1, max: 128 })),
  presence_penalty: nullable(fc.double({ min: -2, max: 2, noNaN: true })),
  frequency_penalty: nullable(fc.double({ min: -2, max: 2, noNaN: true })),
  stop: nullable(fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 4 }))),
  seed: nullable(fc.maxSafeInteger()),
  logit_bias: nullable(
    fc.dictionary(
      fc.nat({ max: 200_000 }).map(String),
      fc.double({ min: -100, max: 100, noNaN: true }),
      { maxKeys: 4 },
    ),
  ),
}
const TOOLING = {
  metadata: nullable(fc.dictionary(keyText, fc.string({ maxLength: 512 }), { maxKeys: 16 })),
  safety_identifier: nullable(fc.string({ maxLength: 64 })),
  prompt_cache_key: nullable(text),
  store: nullable(fc.boolean()),
  tools: fc.array(
    fc.record({ type: fc.constant('function'), function: fc.record({ name: keyText }) }),
    { maxLength: 3 },
  ),
  tool_choice: fc.oneof(
    fc.constantFrom('none', 'auto', 'required'),
    fc.record({ type: fc.constant('function'), function: fc.record({ name: keyText }) }),
  ),
  top_logprobs: nullable(fc.integer({ min: 0, max: 20 })),
}
const PROPERTY_CASES: {
  name: string
  parse: Parse
  schema: z.ZodObject
  base: Record<string, unknown>
  standard: Record<string, fc.Arbitrary<unknown>>
}[] = [
  {
    name: 'chat',
    parse: parseChatRequest,
    schema: chatRequestSchema,
    base: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi.' }] },
    standard: {
      ...SAMPLING,
      ...TOOLING,
      max_tokens: nullable(fc.integer({ min: 1 })),
      max_completion_tokens: nullable(fc.integer({ min: 1 })),
      logprobs: nullable(fc.boolean()),
      parallel_tool_calls: fc.boolean(),
      response_format: fc.constantFrom({ type: 'text' }, { type: 'json_object' }),
    },
  },
  {
    name: 'completions',
    parse: parseCompletionRequest,
    schema: completionRequestSchema,
    base: { model: 'gpt-3.5-turbo-instruct', prompt: ['Say', 'this'] },
    standard: {
      ...SAMPLING,
      max_tokens: nullable(fc.nat()),
      logprobs: nullable(fc.integer({ min: 0, max: 5 })),
      best_of: nullable(fc.integer({ min: 0, max: 20 })),
      echo: nullable(fc.boolean()),
      suffix: nullable(text),
    },
  },
  {
    name: 'embeddings',
    parse: parseEmbeddingsRequest,
    schema: embeddingsRequestSchema,
    base: { model: 'text-embedding-3-small', input: ['a', 'b'] },
    standard: {
      user: text,
      dimensions: fc.integer({ min: 1, max: 4096 }),
      encoding_format: fc.constantFrom('float', 'base64'),
    },
  },
  {
    name: 'responses',
    parse: parseResponsesRequest,
    schema: responsesRequestSchema,
    base: { model: 'gpt-4o-mini', input: [{ role: 'user', content: 'Hi.' }] },
    standard: {
      ...COMMON,
      ...TOOLING,
      stream: nullable(fc.boolean()),
      stream_options: nullable(fc.record({ include_obfuscation: fc.boolean() })),
      max_output_tokens: nullable(fc.integer({ min: 16 })),
      parallel_tool_calls: nullable(fc.boolean()),
      instructions: nullable(text),
      previous_response_id: nullable(text),
      background: nullable(fc.boolean()),
      max_tool_calls: nullable(fc.nat()),
    },
  },
]

describe('a request that passes the schema', () => {
  for (const { name, parse, schema, base, standard } of PROPERTY_CASES) {
    it(`keeps every field byte for byte (${name})`, () => {
      const known = new Set(Object.keys(schema.shape))
      // Fastify refuses "__proto__" keys before any parser runs (onProtoPoisoning: 'error').
      const unknownKey = keyText.filter((k) => !known.has(k))
      const entries = fc
        .tuple(
          fc.record(standard, { requiredKeys: [] }),
          fc.dictionary(unknownKey, fc.jsonValue(), { maxKeys: 4 }),
        )
        .chain(([fields, extra]) => {
          const all = [...Object.entries(base), ...Object.entries(fields), ...Object.entries(extra)]
          return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
        })
      fc.assert(
        fc.property(entries, (pairs) => {
          // The body as it arrives: JSON text in the client's key order, parsed.
          const wire = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
          const body = JSON.parse(wire) as Record<string, unknown>
          const parsed = parse(body)
          // Every field, each value as sent (zod drops, defaults and transforms nothing).
          expect(parsed).toStrictEqual(body)
          expect(JSON.parse(JSON.stringify(parsed))).toStrictEqual(JSON.parse(wire))
          expect(schema.parse(body)).toStrictEqual(body)
        }),
        { numRuns: 200 },
      )
    })
  }
})
