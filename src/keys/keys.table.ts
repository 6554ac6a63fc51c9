/** `api_keys`: customer API keys. Only a keyed hash and a display label of the secret are stored. */
export interface ApiKeysTable {
  /** The public lookup ID embedded in the secret (16 base62 characters). */
  key_id: string
  organization_id: string
  name: string
  /** `fk_live_…Ab3x`: prefix and last four of the current secret. */
  label: string
  /** 'live' | 'test' */
  environment: string
  /** 'active' | 'revoked' */
  status: string
  /** Hex HMAC-SHA256 of the current secret under the API-key hash key. */
  secret_hash: string
  /** Hex hash of the rotated-out secret, accepted until previous_hash_expires_at. */
  previous_secret_hash: string | null
  previous_hash_expires_at: string | null
  /** Canonical JSON `{ models: string[] | null, endpoints: string[] | null }` (null: any). */
  scopes_json: string
  /** Canonical JSON `{ requestsPerMinute?, tokensPerMinute? }`, or null. */
  rate_limits_json: string | null
  expires_at: string | null
  revoked_at: string | null
  last_rotated_at: string | null
  created_at: string
  updated_at: string
}
