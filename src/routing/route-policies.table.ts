/**
 * `route_policies`: every published route policy version, immutable (rows are only ever
 * inserted). The current policy of a scope is its highest version.
 */
export interface RoutePoliciesTable {
  /** `rtp_…` */
  route_policy_id: string
  /** Unique across scopes and increasing: what requests report as their route policy version. */
  version: bigint
  /** `global` or an organization id. */
  scope: string
  /** Canonical JSON of the validated policy (defaults written out). */
  policy_json: string
  /** `sha256:<hex>` of policy_json. */
  content_hash: string
  /** 'admin' | 'config' | 'rollback' */
  source: string
  /** For a rollback: the version republished. */
  rolled_back_from_version: bigint | null
  /** The actor id that published it (admin, token, `system:config`, `cli:…`). */
  created_by: string
  created_at: string
}
