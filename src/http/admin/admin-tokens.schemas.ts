import { z } from 'zod'
import { PERMISSIONS } from '../../admins/index.js'
import { Timestamp } from './wire.schemas.js'

export const CreateAdminTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /** Omitted: the token does not expire (revoke it when it is no longer needed). */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  /** Omitted: the token may do whatever its admin may. */
  permissions: z.array(z.enum(PERMISSIONS)).min(1).max(PERMISSIONS.length).optional(),
})

export const AdminTokenIdParams = z.strictObject({
  tokenId: z.string().regex(/^atk_[0-9a-z]{26}$/, 'must be an admin token id (atk_…)'),
})

/** `mine` (default) or `all` (needs admins.read). */
export const ScopeQuery = z.strictObject({ scope: z.enum(['mine', 'all']).default('mine') })

/** An admin token as lists show it (AdminTokenInfo): label and metadata, never the secret. */
export const AdminTokenResponse = z.object({
  tokenId: z.string(),
  adminId: z.string(),
  name: z.string(),
  /** Prefix and last characters of the token, to recognise it by. */
  label: z.string(),
  /** null: the token may do whatever its admin may. */
  permissions: z.array(z.enum(PERMISSIONS)).nullable(),
  status: z.enum(['active', 'revoked', 'expired']),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
})

/** A token as created: its secret (`token`), this once. */
export const AdminTokenWithSecretResponse = AdminTokenResponse.extend({ token: z.string() })

export const AdminTokenListResponse = z.object({
  object: z.literal('list'),
  data: z.array(AdminTokenResponse),
})
