import { z } from 'zod'
import type { AdminPrincipal, Permission, SupportSession } from '../../admins/index.js'
import type { AuditAction } from '../../audit/audit-actions.js'
import type { AuditContext } from '../../audit/audit-event.js'
import type { AdminApiServices } from './admin-api-services.js'

export const ADMIN_HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type AdminHttpMethod = (typeof ADMIN_HTTP_METHODS)[number]

/**
 * Who may call a route: a named permission, any authenticated admin (`'authenticated'`: for
 * self-service such as "me" or "change my password"), or anyone (`'public'`: only login).
 */
export type RouteAccess = Permission | 'authenticated' | 'public'

/**
 * A route that changes state names its audit action; one that does not says so. A sensitive
 * read (an export, a prompt-level read) records its event through its service and names that
 * action in `records`, so the route applies its reason rule (a high-risk read is refused
 * without a reason, and a denial of it is recorded).
 */
type AuditDeclaration =
  | { action: AuditAction; readOnly?: never; records?: never }
  | { readOnly: true; action?: never; records?: AuditAction }

/** Writes and clears the session cookie, for the routes that log in and out. */
export interface SessionCookieControl {
  set(session: { token: string; maxAgeMs: number }): void
  clear(): void
}

/** Everything a public route's handler receives. */
export interface PublicAdminRouteContext<TBody, TQuery, TParams> {
  body: TBody
  query: TQuery
  params: TParams
  /** Actor 'anonymous' until the handler knows better (login names the admin itself). */
  audit: AuditContext
  services: AdminApiServices
  session: SessionCookieControl
}

/** Everything an authenticated route's handler receives. */
export interface AdminRouteContext<TBody, TQuery, TParams> extends PublicAdminRouteContext<
  TBody,
  TQuery,
  TParams
> {
  principal: AdminPrincipal
  /** Effective permissions of this request (a narrowed token holds fewer than its admin). */
  permissions: ReadonlySet<Permission>
  /** The admin's open support session, already in `audit`. */
  supportSession: SupportSession | null
  /** The CSRF token of the session this request came with (null for token requests). */
  csrfToken: string | null
}

interface RouteSpecBase<TBody, TQuery, TParams> {
  method: AdminHttpMethod
  /** Below /admin/v1, Fastify syntax: `/admins/:adminId`. */
  url: string
  /** One line for the route catalogue and the OpenAPI document. */
  summary: string
  /** zod schemas; each defaults to an empty strict object, so unknown fields are a 400. */
  body?: z.ZodType<TBody>
  query?: z.ZodType<TQuery>
  params?: z.ZodType<TParams>
  /**
   * The success answer's shape, for the OpenAPI document (the console's client is typed from
   * it). Documentation only: the handler's answer is not parsed with it at run time; tests check
   * real answers against the document.
   */
  response?: z.ZodType
  /** @default 200 */
  successStatus?: number
  /** Usable by a session that must enrol in MFA before anything else. @default false */
  allowWhileMfaEnrollmentRequired?: boolean
}

/** Declaration of an authenticated admin route. */
export type AdminRouteSpec<TBody, TQuery, TParams> = RouteSpecBase<TBody, TQuery, TParams> &
  AuditDeclaration & {
    permission: Permission | 'authenticated'
    handler(ctx: AdminRouteContext<TBody, TQuery, TParams>): Promise<unknown>
  }

/** Declaration of a public admin route (login). */
export type PublicAdminRouteSpec<TBody, TQuery, TParams> = RouteSpecBase<TBody, TQuery, TParams> &
  AuditDeclaration & {
    handler(ctx: PublicAdminRouteContext<TBody, TQuery, TParams>): Promise<unknown>
  }

/** A declared route as the catalogue holds it: what it needs, what it records, how to run it. */
export interface AdminRoute {
  readonly method: AdminHttpMethod
  readonly url: string
  readonly summary: string
  readonly permission: RouteAccess
  /** The audit action a state-changing route writes exactly one event of; null when read-only. */
  readonly action: AuditAction | null
  /** The action a read-only route records through its service (its reason rule applies). */
  readonly records: AuditAction | null
  readonly schemas: {
    readonly body: z.ZodType
    readonly query: z.ZodType
    readonly params: z.ZodType
    /** The success answer's shape; null when the route does not declare one. */
    readonly response: z.ZodType | null
  }
  readonly successStatus: number
  readonly allowWhileMfaEnrollmentRequired: boolean
  /** Run the handler with a validated context (the route helper builds it). */
  readonly invoke: (ctx: AdminRouteContext<unknown, unknown, unknown>) => Promise<unknown>
}

const EMPTY = z.strictObject({})

function toRoute<TBody, TQuery, TParams>(
  spec: RouteSpecBase<TBody, TQuery, TParams> & AuditDeclaration,
  access: { permission: RouteAccess; invoke: AdminRoute['invoke'] },
): AdminRoute {
  return Object.freeze({
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    permission: access.permission,
    action: spec.action ?? null,
    records: spec.records ?? null,
    schemas: Object.freeze({
      body: spec.body ?? EMPTY,
      query: spec.query ?? EMPTY,
      params: spec.params ?? EMPTY,
      response: spec.response ?? null,
    }),
    successStatus: spec.successStatus ?? 200,
    allowWhileMfaEnrollmentRequired: spec.allowWhileMfaEnrollmentRequired ?? false,
    invoke: access.invoke,
  })
}

/**
 * Declare an authenticated admin route. The route helper authenticates, checks the permission
 * (403, and an `admin.access_denied` event when the action is high-risk), validates params,
 * query and body (400 naming the field), requires a reason for a high-risk action, and hands
 * the handler a typed context with a ready-made AuditContext.
 *
 * @example
 * export const disableAdminRoute = adminRoute({
 *   method: 'POST',
 *   url: '/admins/:adminId/disable',
 *   summary: 'Disable an admin',
 *   permission: 'admins.write',
 *   action: 'admin.disable',
 *   params: AdminIdParams,
 *   handler: ({ params, services, audit, permissions }) =>
 *     services.users.disableAdmin({ audit, permissions }, params.adminId),
 * })
 */
export function adminRoute<
  TBody = Record<string, never>,
  TQuery = Record<string, never>,
  TParams = Record<string, never>,
>(spec: AdminRouteSpec<TBody, TQuery, TParams>): AdminRoute {
  return toRoute(spec, {
    permission: spec.permission,
    // Safe: the helper validated body, query and params with these same schemas.
    invoke: (ctx) => spec.handler(ctx as AdminRouteContext<TBody, TQuery, TParams>),
  })
}

/** Declare a route anyone may call (login). It is still validated and, if it mutates, audited. */
export function publicAdminRoute<
  TBody = Record<string, never>,
  TQuery = Record<string, never>,
  TParams = Record<string, never>,
>(spec: PublicAdminRouteSpec<TBody, TQuery, TParams>): AdminRoute {
  return toRoute(spec, {
    permission: 'public',
    invoke: (ctx) => spec.handler(ctx as PublicAdminRouteContext<TBody, TQuery, TParams>),
  })
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The admin route declaration a Fastify route was registered from. */
    adminRoute?: AdminRoute
  }
}
