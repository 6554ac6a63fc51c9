import { z } from 'zod'
import { isWellFormedRequestId } from '../../lib/ids.js'

/** A request ID as the gateway accepts one (`x-request-id`): 1–128 printable characters. */
export const RequestIdParams = z.strictObject({
  requestId: z
    .string()
    .refine(
      isWellFormedRequestId,
      'must be a request ID: 1–128 of A-Z a-z 0-9 . _ : - starting with a letter or digit',
    ),
})
