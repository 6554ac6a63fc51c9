/** `organizations`: the customer tenants that own keys, budgets, balances and usage. */
export interface OrganizationsTable {
  organization_id: string
  name: string
  /** 'active' | 'suspended' */
  status: string
  /** The team's own customer ID in its billing system; unique when set. */
  external_id: string | null
  /** Canonical JSON of string → string metadata, or null. */
  metadata_json: string | null
  /** Canonical JSON `{ requestsPerMinute?, tokensPerMinute? }` for the whole organization, or null. */
  rate_limits_json: string | null
  created_at: string
  updated_at: string
}
