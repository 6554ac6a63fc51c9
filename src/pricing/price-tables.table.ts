/**
 * `price_tables`: immutable versions (the database refuses UPDATE and DELETE). The base table
 * has scope `platform`; an organization's override has the organization ID as scope. Versions
 * count 1, 2, 3, … per scope.
 */
export interface PriceTablesTable {
  /** `prt_…` */
  price_table_id: string
  /** 'platform' or the organization ID. */
  scope: string
  /** Null for the platform table. */
  organization_id: string | null
  version: bigint
  /** Canonical JSON `{ markupBps, rows }`, prices as decimal strings of micros per 1M tokens. */
  content_json: string
  /** SHA-256 (hex) of content_json. */
  content_hash: string
  note: string | null
  /** The audit actor ID of whoever published it. */
  created_by: string
  created_at: string
}
