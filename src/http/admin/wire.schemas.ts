import { z } from 'zod'

/**
 * Pieces the admin API's answers share, declared for the OpenAPI document (the console's client
 * is typed from it). Money and large counts leave as decimal strings: JSON numbers would round.
 */
export const MicrosString = z
  .string()
  .regex(/^-?[0-9]+$/)
  .describe('Integer micros (1e-6 USD)')
export const CountString = z
  .string()
  .regex(/^[0-9]+$/)
  .describe('A whole number as a string')
export const Timestamp = z.string().describe('ISO 8601, UTC')

/** Requests and tokens per minute; an absent limit is no limit. */
export const RateLimitsResponse = z.object({
  requestsPerMinute: z.number().int().optional(),
  tokensPerMinute: z.number().int().optional(),
})

/** A keyset-paginated listing in the admin API's camelCase (src/http/admin/list-page.ts). */
export function listPageResponse<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal('list'),
    data: z.array(item),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
}
