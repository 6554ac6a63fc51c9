import { z } from 'zod'
import { Timestamp } from './wire.schemas.js'

export const StartSupportSessionBody = z.strictObject({
  organizationId: z.string().min(1).max(100),
  /** Time-boxed: at most four hours (admin.supportSessionMaxMs). */
  durationMinutes: z.number().int().min(1).max(240),
})

export const SupportSessionIdParams = z.strictObject({
  supportSessionId: z.string().regex(/^sup_[0-9a-z]{26}$/, 'must be a support session id (sup_…)'),
})

/** A support session as the API shows it (src/admins/support-sessions.service.ts). */
export const SupportSessionResponse = z.object({
  supportSessionId: z.string(),
  adminId: z.string(),
  organizationId: z.string(),
  reasonCode: z.string(),
  reasonNote: z.string().nullable(),
  startedAt: Timestamp,
  expiresAt: Timestamp,
  endedAt: Timestamp.nullable(),
  endReason: z.enum(['ended', 'expired']).nullable(),
})

export const SupportSessionListResponse = z.object({
  object: z.literal('list'),
  data: z.array(SupportSessionResponse),
})
