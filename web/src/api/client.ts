import { OPERATIONS, type paths } from './admin-api.gen'

/** Paths of the admin API that answer a method, from the generated OpenAPI types. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends { parameters: unknown } ? P : never
}[keyof paths]
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type Operation<P extends keyof paths, M extends Method> = paths[P][M]
type PathParams<O> = O extends { parameters: { path: infer T } } ? T : never
type QueryParams<O> = O extends { parameters: { query?: infer T } } ? T : never
type Body<O> = O extends { requestBody: { content: { 'application/json': infer T } } } ? T : never
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : unknown
/** The success answer of an operation as the OpenAPI document declares it (200 or 201). */
type Answer<O> = O extends { responses: { 200: infer R } }
  ? JsonOf<R>
  : O extends { responses: { 201: infer R } }
    ? JsonOf<R>
    : unknown

/**
 * What `METHOD path` answers on success, from the generated OpenAPI types.
 * @example type Organization = ResponseOf<'get', '/admin/v1/orgs/{organizationId}'>
 */
export type ResponseOf<M extends Method, P extends PathsWith<M>> = Answer<Operation<P, M>>

/** A reason for a high-risk action: a snake_case code and an optional note (docs/audit-log.md). */
export interface Reason {
  code: string
  note?: string
}

/** What a call may carry; `path` and `query` are typed from the OpenAPI document. */
export type CallOptions<P extends keyof paths, M extends Method> = ([
  PathParams<Operation<P, M>>,
] extends [never]
  ? { path?: never }
  : { path: PathParams<Operation<P, M>> }) & {
  query?: QueryParams<Operation<P, M>>
  body?: Body<Operation<P, M>>
  reason?: Reason
}

/** An answer that was not a success, with the server's own message (OpenAI's error envelope). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | null
  readonly param: string | null
  constructor(error: {
    status: number
    message: string
    code: string | null
    param: string | null
  }) {
    super(error.message)
    this.name = 'ApiError'
    this.status = error.status
    this.code = error.code
    this.param = error.param
  }
}

let csrfToken: string | null = null
let onUnauthenticated: (() => void) | null = null

/** The session's CSRF token: sent as `x-csrf-token` with every state-changing request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Called when the server answers 401 (the session ended): the app shows the sign-in page. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler
}

/** Fill `{name}` segments of an OpenAPI path. */
type Scalar = string | number | boolean

export function fillPath(path: string, params: Record<string, Scalar> | undefined): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params?.[name]
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(String(value))
  })
}

/** `?a=1&b=2` without undefined or empty values. */
export function queryString(query: Record<string, Scalar | null | undefined> | undefined): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue
    search.set(name, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** The URL of a GET, for links that download (exports): the browser sends the cookie itself. */
export function urlOf<P extends PathsWith<'get'>>(path: P, options: CallOptions<P, 'get'>): string {
  const o = options as {
    path?: Record<string, Scalar>
    query?: Record<string, Scalar | null | undefined>
  }
  return fillPath(path, o.path) + queryString(o.query)
}

/** Whether the operation refuses to run without a reason (`x-ferry-reason-required`). */
export function needsReason(method: Method, path: keyof paths): boolean {
  const facts = (OPERATIONS as Record<string, { reasonRequired: boolean } | undefined>)[
    `${method.toUpperCase()} ${path}`
  ]
  return facts?.reasonRequired ?? false
}

/** The permission an operation needs (`x-ferry-permission`). */
export function permissionOf(method: Method, path: keyof paths): string {
  const facts = (OPERATIONS as Record<string, { permission: string } | undefined>)[
    `${method.toUpperCase()} ${path}`
  ]
  if (!facts) throw new Error(`unknown operation ${method} ${path}`)
  return facts.permission
}

async function call<T>(method: Method, path: string, options: CallOptions<never, never>) {
  const o = options as {
    path?: Record<string, Scalar>
    query?: Record<string, Scalar | null | undefined>
    body?: Record<string, unknown>
    reason?: Reason
  }
  const headers: Record<string, string> = { accept: 'application/json' }
  let body: string | undefined
  if (method !== 'get') {
    if (csrfToken) headers['x-csrf-token'] = csrfToken
    if (method === 'delete') {
      // DELETE has no body: the reason travels in headers (ASCII only there).
      if (o.reason) {
        headers['x-ferry-reason-code'] = o.reason.code
        if (o.reason.note) headers['x-ferry-reason-note'] = o.reason.note.replace(/[^ -~]/g, '?')
      }
    } else {
      headers['content-type'] = 'application/json'
      body = JSON.stringify({ ...(o.body ?? {}), ...(o.reason ? { reason: o.reason } : {}) })
    }
  }
  const response = await fetch(fillPath(path, o.path) + queryString(o.query), {
    method: method.toUpperCase(),
    headers,
    body,
    credentials: 'same-origin',
  })
  const text = await response.text()
  const json: unknown = text === '' ? {} : parseJson(text)
  if (!response.ok) {
    if (response.status === 401 && !path.endsWith('/auth/login')) onUnauthenticated?.()
    const error = (json as { error?: { message?: string; code?: string; param?: string } }).error
    throw new ApiError({
      status: response.status,
      message: error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
      code: error?.code ?? null,
      param: error?.param ?? null,
    })
  }
  return json as T
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return { error: { message: text.slice(0, 500) } }
  }
}

/**
 * The admin API client. Paths, path parameters, query, body and the success answer are all typed
 * from the OpenAPI document the server serves (web/src/api/admin-api.gen.ts).
 * @example api.post('/admin/v1/keys/{keyId}/rotate', { path: { keyId }, body: { graceSeconds: 3600 }, reason })
 */
export const api = {
  get: <P extends PathsWith<'get'>>(path: P, options: CallOptions<P, 'get'>) =>
    call<ResponseOf<'get', P>>('get', path, options as never),
  post: <P extends PathsWith<'post'>>(path: P, options: CallOptions<P, 'post'>) =>
    call<ResponseOf<'post', P>>('post', path, options as never),
  put: <P extends PathsWith<'put'>>(path: P, options: CallOptions<P, 'put'>) =>
    call<ResponseOf<'put', P>>('put', path, options as never),
  patch: <P extends PathsWith<'patch'>>(path: P, options: CallOptions<P, 'patch'>) =>
    call<ResponseOf<'patch', P>>('patch', path, options as never),
  delete: <P extends PathsWith<'delete'>>(path: P, options: CallOptions<P, 'delete'>) =>
    call<ResponseOf<'delete', P>>('delete', path, options as never),
}
