import { z } from 'zod'

export const StartSupportSessionBody = z.strictObject({
  organizationId: z.string().min(1).max(100),
  /** Time-boxed: at most four hours (admin.supportSessionMaxMs). */
  durationMinutes: z.number().int().min(1).max(240),
})

export const SupportSessionIdParams = z.strictObject({
  supportSessionId: z.string().regex(/^sup_[0-9a-z]{26}$/, 'must be a support session id (sup_…)'),
})
