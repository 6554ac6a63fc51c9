/** Retention of captured content when an organization opts in without naming one. */
export const DEFAULT_RETENTION_DAYS = 30
/** The longest retention an organization may set: captured prompts are not an archive. */
export const MAX_RETENTION_DAYS = 365
export const MIN_RETENTION_DAYS = 1
export const DAY_MS = 24 * 60 * 60 * 1000

/** An organization's request log setting: metadata only (the default), or content captured too. */
export interface RequestLogSettings {
  organizationId: string
  /** Prompts and completions are captured (masked) for this organization. */
  captureEnabled: boolean
  /** Days captured content is kept before the retention job deletes it. */
  retentionDays: number
  /** Null for the default (never changed). */
  updatedAt: string | null
}

/** The setting of an organization that never opted in. */
export function defaultRequestLogSettings(organizationId: string): RequestLogSettings {
  return {
    organizationId,
    captureEnabled: false,
    retentionDays: DEFAULT_RETENTION_DAYS,
    updatedAt: null,
  }
}

/** The fields of the setting an audit diff shows (AUDIT_TARGETS.request_log_settings). */
export function requestLogSettingsDiff(settings: RequestLogSettings): Record<string, unknown> {
  return { captureEnabled: settings.captureEnabled, retentionDays: settings.retentionDays }
}

/** What the request path hands over for capture; masked and written in the background. */
export interface RequestCapture {
  organizationId: string
  requestId: string
  /** The /v1 endpoint (`chat.completions`, `completions`, `embeddings`, `responses`). */
  endpoint: string
  /** The parsed request body. Kept by reference until the next flush: do not mutate it after. */
  request: unknown
  /** The completion: the JSON body, or the text a stream delivered; null when none came. */
  response: unknown
  /** When the request arrived (epoch ms). */
  createdAtMs: number
}

/** One stored request log: captured content, already masked. */
export interface RequestLog {
  requestId: string
  organizationId: string
  endpoint: string
  createdAt: string
  request: unknown
  response: unknown
  maskedCount: number
  truncated: boolean
}
