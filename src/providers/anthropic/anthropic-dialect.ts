import type { UpstreamDialect } from '../call-upstream.js'
import type { UpstreamErrorInfo } from '../classify-failure.js'

/**
 * Anthropic's error envelope `{type:'error', error:{type, message}}` in OpenAI's fields. The
 * HTTP status picks the error class; the type and message refine the pass-through of a 4xx:
 * an unknown model is OpenAI's `model_not_found`, a prompt over the context window is
 * `context_length_exceeded` on `messages`, as OpenAI would answer.
 */
export function anthropicErrorInfo(body: unknown): UpstreamErrorInfo {
  const error = (
    typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
  ) as { type?: unknown; message?: unknown } | undefined
  const type = typeof error?.type === 'string' ? error.type : null
  const message = typeof error?.message === 'string' ? error.message : null
  switch (type) {
    case 'not_found_error':
      return {
        message,
        type: 'invalid_request_error',
        code: message !== null && /model/i.test(message) ? 'model_not_found' : null,
        param: null,
      }
    case 'request_too_large':
      return { message, type: 'invalid_request_error', code: 'request_too_large', param: null }
    case 'invalid_request_error':
      if (
        message !== null &&
        /prompt is too long|context window|too many (input )?tokens/i.test(message)
      )
        return { message, type, code: 'context_length_exceeded', param: 'messages' }
      return { message, type, code: null, param: null }
    default:
      // Other types decide by status (auth, billing, rate limit, overload, api_error); keep the
      // type as the upstream code for logs.
      return { message, type, code: null, param: null }
  }
}

/** Anthropic answers with `request-id`. */
export const anthropicDialect: UpstreamDialect = {
  errorInfo: anthropicErrorInfo,
  requestIdHeaders: ['request-id', 'x-request-id'],
}
