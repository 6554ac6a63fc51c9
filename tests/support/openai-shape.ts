import { expect } from 'vitest'

/** Assert OpenAI's error envelope: exactly message, type, param, code, with their types. */
export function expectOpenAIError(
  body: unknown,
  expected: { type?: string; code?: string | null } = {},
) {
  expect(body).toBeTypeOf('object')
  const error = (body as { error?: Record<string, unknown> }).error
  expect(error, 'body.error').toBeTypeOf('object')
  expect(Object.keys(error!).sort()).toEqual(['code', 'message', 'param', 'type'])
  expect(error!.message).toBeTypeOf('string')
  expect(error!.type).toBeTypeOf('string')
  expect(error!.param === null || typeof error!.param === 'string').toBe(true)
  expect(error!.code === null || typeof error!.code === 'string').toBe(true)
  if (expected.type !== undefined) expect(error!.type).toBe(expected.type)
  if (expected.code !== undefined) expect(error!.code).toBe(expected.code)
}

/**
 * Whether a response body is OpenAI's error envelope (the non-throwing form of
 * expectOpenAIError, for suites that count violations before asserting).
 */
export function isOpenAIErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  const error = (body as { error?: unknown }).error
  if (typeof error !== 'object' || error === null) return false
  const e = error as Record<string, unknown>
  return (
    Object.keys(e).sort().join(',') === 'code,message,param,type' &&
    typeof e.message === 'string' &&
    typeof e.type === 'string' &&
    (e.param === null || typeof e.param === 'string') &&
    (e.code === null || typeof e.code === 'string')
  )
}
