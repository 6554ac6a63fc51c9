/**
 * `request_log_settings` (migration 0013-request-logs): an organization's opt-in to prompt and
 * completion capture. No row means the default: metadata only (the usage event), nothing
 * captured. The row stays when capture is turned off, so content captured before is still
 * purged on its retention.
 */
export interface RequestLogSettingsTable {
  organization_id: string
  /** 1 when prompts and completions are captured (masked) for this organization. */
  capture_enabled: number
  /** Days captured content is kept; the retention job deletes older rows. */
  retention_days: number
  updated_at: string
}

/**
 * `request_logs`: the captured content of one /v1 request of an organization that opted in,
 * masked before it was written (mask-secrets.ts). The metadata (tokens, cost, models, status)
 * is the request's usage event, joined by `request_id`. Deleted only by the retention purge.
 */
export interface RequestLogsTable {
  /** Ferry's request ID (the `x-request-id` the client saw), as in `usage_events`. */
  request_id: string
  organization_id: string
  /** One of the /v1 endpoints (`chat.completions`, `embeddings`, …). */
  endpoint: string
  /** When the request was captured (its arrival on the request path). */
  created_at: string
  /** The request body as JSON, every secret masked; a JSON string when it was truncated. */
  request_json: string
  /** The completion: a JSON body, or the streamed text as a JSON string; masked. */
  response_json: string | null
  /** How many secrets masking replaced in this row. */
  masked_count: number
  /** 1 when the request or response exceeded the size bound and was cut (after masking). */
  truncated: number
}

export interface RequestLogTables {
  request_log_settings: RequestLogSettingsTable
  request_logs: RequestLogsTable
}
