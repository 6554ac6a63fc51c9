import type { UpstreamErrorInfo } from '../classify-failure.js'
import type { UpstreamDialect } from '../call-upstream.js'

/**
 * OpenAI's error envelope `{error:{message,type,param,code}}`, plus the variants
 * OpenAI-compatible servers send: vLLM's flat `{object:'error', message, type, code}`,
 * `{error:'text'}`, and FastAPI's `{detail:'text'}`.
 */
export function openAIErrorInfo(body: unknown): UpstreamErrorInfo {
  if (typeof body !== 'object' || body === null) return NO_INFO
  const record = body as Record<string, unknown>
  const { error } = record
  if (typeof error === 'string') return { ...NO_INFO, message: error }
  const fields =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : record
  const message = str(fields.message) ?? str(record.detail)
  return { message, type: str(fields.type), code: str(fields.code), param: str(fields.param) }
}

const NO_INFO: UpstreamErrorInfo = { message: null, type: null, code: null, param: null }

function str(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value
  // Some servers send numeric codes.
  if (typeof value === 'number') return String(value)
  return null
}

/** OpenAI and every server that copies it. Azure adds `apim-request-id`. */
export const openAIDialect: UpstreamDialect = {
  errorInfo: openAIErrorInfo,
  requestIdHeaders: ['x-request-id', 'apim-request-id', 'x-ms-request-id', 'request-id'],
}
