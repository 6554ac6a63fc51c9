import type { ResponseOf } from './client'

/**
 * Names for the admin API's answers the console passes around. Each is taken from the generated
 * OpenAPI types (admin-api.gen.ts, from the routes' response schemas), never written by hand:
 * a change on the server shows up here as a type error. Money is a decimal string of micros.
 */
type Item<T> = T extends { data: (infer I)[] } ? I : never

export type Me = ResponseOf<'get', '/admin/v1/auth/me'>
export type Organization = ResponseOf<'get', '/admin/v1/orgs/{organizationId}'>
export type ApiKey = ResponseOf<'get', '/admin/v1/keys/{keyId}'>
/** A key as issued, rotated or moved between environments: the secret, this once. */
export type ApiKeyWithSecret = ResponseOf<'post', '/admin/v1/keys/{keyId}/rotate'>
export type Balance = ResponseOf<'get', '/admin/v1/orgs/{organizationId}/billing/balance'>
export type LedgerEntry = Item<ResponseOf<'get', '/admin/v1/orgs/{organizationId}/billing/entries'>>
export type Approval = ResponseOf<'get', '/admin/v1/billing/approvals/{approvalId}'>
export type BudgetPolicyVersion = ResponseOf<
  'get',
  '/admin/v1/orgs/{organizationId}/budget-policies/current'
>
export type BudgetPolicyContent = BudgetPolicyVersion['policy']
export type UsageAggregates = ResponseOf<'get', '/admin/v1/usage/aggregates'>
export type AuditEvent = Item<ResponseOf<'get', '/admin/v1/audit-events'>>
export type Evidence = ResponseOf<'get', '/admin/v1/evidence/requests/{requestId}'>
export type RoutePolicyVersion = ResponseOf<'get', '/admin/v1/route-policies/{version}'>
export type RoutePolicyDocument = RoutePolicyVersion['policy']
