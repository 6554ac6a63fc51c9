import fc from 'fast-check'
import type { z } from 'zod'
import type { AdminRoute } from '../../src/http/admin/admin-route.js'
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingsRequestSchema,
  responsesRequestSchema,
} from '../../src/http/v1/v1.schemas.js'
import {
  INVALID_REQUEST_IDS,
  MALFORMED_JSON,
  POISONED_JSON,
  WRONG_TOP_LEVEL,
  WRONG_TYPED_VALUES,
  deepJson,
  encodeHostile,
  hostileObject,
  hostileSegment,
  hostileString,
  hostileValue,
} from './hostile-input.js'
import { fillRoute, type ServedRoute } from './route-inventory.js'

/** The kinds of hostile request the suite sends; reports count cases per kind. */
export const HOSTILE_FAMILIES = [
  'malformed JSON',
  'wrong top-level type',
  'deep nesting',
  'duplicate keys',
  'prototype poisoning',
  'wrong field types',
  'huge and unicode field values',
  'oversized body',
  'wrong content type',
  'path traversal and hostile IDs',
  'hostile query values',
  'invalid request IDs',
  'hostile credentials',
] as const
export type HostileFamily = (typeof HOSTILE_FAMILIES)[number]

/** One request to send, and whether a 2xx may answer it. */
export interface HostileCase {
  family: HostileFamily
  method: string
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
  /** The body field a 'wrong field types' case gives a wrong-typed value. */
  field?: string
  /**
   * A read with hostile but well-typed query values (a search for `%`) may succeed; everything
   * else is invalid by construction and must be refused.
   */
  mayAccept: boolean
}

/** How hard to push one route: samples per random family and how much of each catalogue. */
export interface CaseBudget {
  /** Random cases per family and route (fast-check samples). */
  samples: number
  /**
   * Entries of each fixed catalogue per route. Routes take turns through a catalogue (route n
   * starts at entry n × perCatalogue), so across the routes every entry is sent many times.
   */
  perCatalogue: number
  seed: number
}

/** The body schema of each /v1 route (v1.schemas.ts). */
export const V1_BODY_SCHEMAS: Readonly<Record<string, z.ZodObject>> = {
  '/v1/chat/completions': chatRequestSchema,
  '/v1/completions': completionRequestSchema,
  '/v1/embeddings': embeddingsRequestSchema,
  '/v1/responses': responsesRequestSchema,
}

/**
 * Fields the /v1 bodies are read for, fuzzed with wrong types on every /v1 route: the ones the
 * gateway reads itself, plus every field a schema in v1.schemas.ts checks (max_tokens, seed,
 * metadata, tools, ...), taken from the schemas so a newly validated field is fuzzed too.
 */
export const V1_FIELDS = [
  ...new Set([
    'model',
    'messages',
    'input',
    'stream',
    'stream_options',
    'encoding_format',
    ...Object.values(V1_BODY_SCHEMAS).flatMap((schema) => Object.keys(schema.shape)),
  ]),
]

const ID_PREFIXES = ['org', 'adm', 'atk', 'apr', 'aud', 'aex', 'ckp', 'le', 'obx', 'rtp', 'ses']
/** Well-formed IDs of things that do not exist: a request gets past parameter validation. */
const ABSENT_IDS = [
  ...ID_PREFIXES.map((p) => `${p}_${'0'.repeat(26)}`),
  'A0'.repeat(8),
  `req_${'0'.repeat(32)}`,
  '00000000-0000-0000-0000-000000000000',
  '999999',
  '2099-01',
  'no-such-model',
]

function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  const shape = (schema as { shape?: Record<string, z.ZodType> } | undefined)?.shape
  return shape ?? {}
}

/** A well-formed ID for each path parameter that names nothing that exists. */
export function absentSegmentFor(route: ServedRoute, admin: AdminRoute | undefined) {
  const shape = shapeOf(admin?.schemas.params)
  return (param: string): string => {
    const schema = shape[param]
    const fit = schema ? ABSENT_IDS.find((id) => schema.safeParse(id).success) : undefined
    return encodeURIComponent(fit ?? 'no-such-thing')
  }
}

/** `count` entries of a catalogue, starting where route number `turn` left off. */
function rotate<T>(items: readonly T[], turn: number, count: number): T[] {
  return Array.from({ length: Math.min(count, items.length) }, (_v, i) => {
    return items[(turn * count + i) % items.length]!
  })
}

const json = { 'content-type': 'application/json' }

/** Deep enough to break a recursive walker (100,000 levels fit under the test body limit). */
const DEEP_BODIES = [
  deepJson(100_000, 'array'),
  deepJson(10_000, 'object'),
  deepJson(20_000, 'array'),
]

/** Bodies nobody may accept: each is broken JSON, the wrong type, or names an unknown field. */
function bodyCases(options: {
  route: ServedRoute
  admin: AdminRoute | undefined
  budget: CaseBudget
  turn: number
}) {
  const { route, admin, budget, turn } = options
  const fields = route.url.startsWith('/v1/')
    ? V1_FIELDS
    : Object.keys(shapeOf(admin?.schemas.body))
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number) =>
    fc.sample(arb, { numRuns: budget.samples, seed: budget.seed + turn * 31 + salt })
  const k = budget.perCatalogue
  const cases: Omit<HostileCase, 'method' | 'url' | 'headers' | 'mayAccept'>[] = [
    ...rotate(MALFORMED_JSON, turn, k).map((payload) => ({
      family: 'malformed JSON' as const,
      payload,
    })),
    ...rotate(WRONG_TOP_LEVEL, turn, Math.ceil(k / 2)).map((payload) => ({
      family: 'wrong top-level type' as const,
      payload,
    })),
    ...rotate(DEEP_BODIES, turn, 1).map((payload) => ({
      family: 'deep nesting' as const,
      payload,
    })),
    {
      family: 'deep nesting',
      // Deep, but inside a field the route reads.
      payload: `{"${fields[0] ?? 'a'}":${deepJson(5_000, 'object')},"ferry_fuzz":1}`,
    },
    {
      family: 'deep nesting',
      // Deep where validation lets anything through (an extra field of a message, a Responses
      // input item) on the served mock model: the token count walks it (a 500 once).
      payload: `{"model":"mock","prompt":"hi","messages":[{"role":"user","content":"hi","x":${deepJson(5_000, 'object')}}],"input":[${deepJson(5_000, 'object')}]}`,
    },
    {
      family: 'duplicate keys',
      payload: `{"${fields[0] ?? 'a'}":"x","${fields[0] ?? 'a'}":{"$ne":null},"ferry_fuzz":1,"ferry_fuzz":2}`,
    },
    ...rotate(POISONED_JSON, turn, 1).map((payload) => ({
      family: 'prototype poisoning' as const,
      payload,
    })),
    // Every field the route reads, each with a wrong-typed value (a different one per route).
    ...fields.map((field, i) => ({
      family: 'wrong field types' as const,
      field,
      payload: JSON.stringify(wrongTyped(route, field, wrongValueFor(route, field, turn + i))),
    })),
    ...sample(hostileObject, 2).map((body) => ({
      family: 'huge and unicode field values' as const,
      payload: JSON.stringify(body),
    })),
    {
      family: 'oversized body',
      payload: JSON.stringify({ ferry_fuzz: 'x'.repeat(300 * 1024) }),
    },
  ]
  return cases
}

/**
 * The catalogue's wrong-typed value number `turn` (a different one per route and field) or, for
 * a /v1 field its route's schema checks, the first from there on that the schema refuses: `0.5`
 * is a valid temperature and `{ "$gt": "" }` valid metadata, and those would fuzz nothing.
 */
function wrongValueFor(route: ServedRoute, field: string, turn: number): unknown {
  const at = (i: number) => WRONG_TYPED_VALUES[(turn + i) % WRONG_TYPED_VALUES.length]
  const schema = shapeOf(V1_BODY_SCHEMAS[route.url])[field]
  if (schema === undefined) return at(0)
  for (let i = 0; i < WRONG_TYPED_VALUES.length; i++)
    if (!schema.safeParse(at(i)).success) return at(i)
  return at(0)
}

/**
 * A body whose `field` holds a wrong-typed value. A /v1 body keeps a model nobody serves, so
 * even a field that takes anything cannot turn the case into a billable call.
 */
function wrongTyped(route: ServedRoute, field: string, value: unknown): Record<string, unknown> {
  if (!route.url.startsWith('/v1/')) return { [field]: value }
  const base: Record<string, unknown> = {
    model: 'ferry-fuzz-no-such-model',
    messages: [{ role: 'user', content: 'hi' }],
    input: 'hi',
  }
  return { ...base, [field]: field === 'model' && typeof value === 'string' ? 1 : value }
}

/**
 * Every hostile request for one route: bodies (for routes that take one), path IDs, query
 * values, request IDs and credentials. `auth` is the header that gets a request past
 * authentication (an owner token or a customer key), so validation itself is what is fuzzed.
 */
export function hostileCasesFor(options: {
  route: ServedRoute
  admin: AdminRoute | undefined
  auth: Record<string, string>
  budget: CaseBudget
  /** This route's place in the inventory: which catalogue entries it gets. */
  turn: number
}): HostileCase[] {
  const { route, admin, auth, budget, turn } = options
  const seed = budget.seed + turn * 31
  const absent = fillRoute(route, absentSegmentFor(route, admin))
  const hasBody = route.method !== 'GET'
  const out: HostileCase[] = []
  const base = { method: route.method, url: absent, headers: { ...auth }, mayAccept: false }
  if (hasBody) {
    for (const c of bodyCases({ route, admin, budget, turn }))
      out.push({ ...base, headers: { ...auth, ...json }, ...c })
    const contentTypes = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'image/png',
      'application/json; charset=utf-16',
    ]
    for (const contentType of rotate(contentTypes, turn, 1))
      out.push({
        ...base,
        family: 'wrong content type',
        headers: { ...auth, 'content-type': contentType },
        payload: 'ferry_fuzz=1',
      })
  }
  for (const param of route.params) {
    const fill = absentSegmentFor(route, admin)
    for (const segment of fc.sample(hostileSegment, {
      numRuns: budget.samples + 1,
      seed: seed + 3,
    })) {
      out.push({
        ...base,
        family: 'path traversal and hostile IDs',
        url: fillRoute(route, (p) => (p === param ? segment : fill(p))),
        ...(hasBody ? { headers: { ...auth, ...json }, payload: '{"ferry_fuzz":1}' } : {}),
      })
    }
  }
  const queryKeys = [...Object.keys(shapeOf(admin?.schemas.query)), 'ferry_fuzz', '__proto__']
  for (const [i, value] of fc
    .sample(hostileString, { numRuns: budget.samples, seed: seed + 4 })
    .entries()) {
    const key = queryKeys[i % queryKeys.length]!
    const encoded = encodeHostile(value.slice(0, 1500))
    out.push({
      ...base,
      family: 'hostile query values',
      url: `${absent}?${encodeURIComponent(key)}=${encoded}&${encodeURIComponent(key)}=${encoded}`,
      // Reads may answer a hostile but well-typed filter (no match); writes take no query.
      mayAccept: route.method === 'GET',
      ...(hasBody ? { headers: { ...auth, ...json }, payload: '{"ferry_fuzz":1}' } : {}),
    })
  }
  for (const requestId of rotate(INVALID_REQUEST_IDS, turn, Math.ceil(budget.perCatalogue / 2)))
    out.push({
      ...base,
      family: 'invalid request IDs',
      // A read is still answered; the check is that the server minted its own request ID.
      mayAccept: route.method === 'GET',
      headers: { ...auth, 'x-request-id': requestId, ...(hasBody ? json : {}) },
      ...(hasBody ? { payload: '{"ferry_fuzz":1}' } : {}),
    })
  // A public read (the OpenAPI document) may answer whatever credentials came with it.
  const isPublic =
    admin?.permission === 'public' || (admin === undefined && route.url.startsWith('/admin/v1/'))
  for (const credential of fc.sample(hostileValue, {
    numRuns: Math.ceil(budget.samples / 2),
    seed: seed + 5,
  }))
    out.push({
      ...base,
      family: 'hostile credentials',
      mayAccept: isPublic && route.method === 'GET',
      headers: {
        // Header bytes are Latin-1: what a client can put on the wire.
        authorization: `Bearer ${Buffer.from(String(JSON.stringify(credential)).slice(0, 8000), 'latin1').toString('latin1')}`,
        'x-api-key': "sk-'; DROP TABLE api_keys;--",
      },
    })
  return out
}
