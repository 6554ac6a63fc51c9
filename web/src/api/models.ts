/**
 * The admin API's answers as the console reads them. The OpenAPI document types requests only
 * (the route catalogue declares no response schemas), so these mirror the services' wire shapes;
 * money is always a decimal string of micros.
 */

export interface ListPage<T> {
  object: 'list'
  data: T[]
  hasMore: boolean
  nextCursor: string | null
}

export interface Admin {
  adminId: string
  email: string
  name: string | null
  role: string
  status: string
}

export interface SupportSession {
  supportSessionId: string
  adminId: string
  organizationId: string
  reasonCode: string | null
  startedAt: string
  expiresAt: string
  endedAt: string | null
}

export interface Me {
  admin: Admin
  role: string
  permissions: string[]
  authenticatedWith: 'session' | 'token'
  csrfToken: string | null
  mfaEnrollmentRequired: boolean
  supportSession: SupportSession | null
}

export interface Login {
  admin: Admin
  csrfToken: string
  expiresAt: string
  mfaEnrollmentRequired: boolean
}

/** Answer types by operation (`METHOD path`); an operation not listed answers `unknown`. */
export interface Responses {
  'POST /admin/v1/auth/login': Login
  'POST /admin/v1/auth/logout': { loggedOut: true }
  'GET /admin/v1/auth/me': Me
}

export type ResponseOf<K extends string> = K extends keyof Responses ? Responses[K] : unknown
