import { z } from 'zod'

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/

/**
 * An ISO 8601 date or date-time with an offset (`2026-01-31`, `2026-01-31T12:00:00+02:00`) in a
 * query, normalised to the stored form (UTC, milliseconds) so it compares as text with the
 * `created_at` columns. One definition for every admin and customer filter.
 */
export const IsoTimestamp = z
  .string()
  .refine(
    (value) => ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)),
    'must be an ISO 8601 date or date-time with an offset, such as 2026-01-31T00:00:00Z',
  )
  .transform((value) => new Date(value).toISOString())
