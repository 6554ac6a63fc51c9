/**
 * `provider_accounts`: upstream accounts created through the admin API. The credential is stored
 * only as AES-256-GCM ciphertext (see credential-cipher.ts) plus a display label. Accounts from
 * the config file and the environment are never written here.
 */
export interface ProviderAccountsTable {
  /** `prv_…` */
  provider_account_id: string
  /** Unique slug, e.g. `openai-prod`. */
  name: string
  /** One of PROVIDER_KINDS. */
  kind: string
  base_url: string
  /** `v1.<iv>.<tag>.<ciphertext>` with the account ID as associated data; null: no credential. */
  credential_ciphertext: string | null
  /** `sk-…AbCd`: vendor prefix and last four at most; null with no credential. */
  credential_label: string | null
  /** Canonical JSON object of header name → value (never a credential). */
  extra_headers_json: string
  /** Canonical JSON `{ connectMs?, headersMs?, bodyIdleMs? }`. */
  timeouts_json: string
  /** Canonical JSON of the kind's settings. */
  settings_json: string
  /** Canonical JSON `{ models: string[], aliases: { [public]: upstream } }`. */
  models_json: string
  /** 'active' | 'disabled' */
  status: string
  /** 'database' (rows are only ever written by the admin API). */
  source: string
  created_at: string
  updated_at: string
}
