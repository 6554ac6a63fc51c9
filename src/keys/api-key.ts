import type { RateLimits } from '../organizations/organization.js'
import type { KeyEnvironment } from './key-secret.js'

export const KEY_STATUSES = ['active', 'revoked'] as const
export type KeyStatus = (typeof KEY_STATUSES)[number]

/** The customer-facing endpoints a key may be limited to. */
export const KEY_ENDPOINTS = [
  'chat.completions',
  'completions',
  'embeddings',
  'models',
  'responses',
  'usage',
] as const
export type KeyEndpoint = (typeof KEY_ENDPOINTS)[number]

/** What a key may call: `null` means no restriction. Models may name aliases. */
export interface KeyScopes {
  models: string[] | null
  endpoints: KeyEndpoint[] | null
}

export interface ApiKey {
  keyId: string
  organizationId: string
  name: string
  label: string
  environment: KeyEnvironment
  status: KeyStatus
  scopes: KeyScopes
  rateLimits: RateLimits
  expiresAt: string | null
  revokedAt: string | null
  lastRotatedAt: string | null
  /** While a rotated-out secret still works. */
  graceEndsAt: string | null
  createdAt: string
  updatedAt: string
}

/** The fields of a key an audit diff may show (see AUDIT_TARGETS.api_key). */
export function apiKeyDiff(key: ApiKey): Record<string, unknown> {
  return {
    name: key.name,
    label: key.label,
    environment: key.environment,
    status: key.status,
    scopes: key.scopes,
    expiresAt: key.expiresAt,
    rateLimits: key.rateLimits,
    organizationId: key.organizationId,
    graceEndsAt: key.graceEndsAt,
    revokedAt: key.revokedAt,
  }
}

export function hasModelScope(scopes: KeyScopes, model: string): boolean {
  return scopes.models === null || scopes.models.includes(model)
}

export function hasEndpointScope(scopes: KeyScopes, endpoint: KeyEndpoint): boolean {
  return scopes.endpoints === null || scopes.endpoints.includes(endpoint)
}
