import { z } from 'zod'
import { KEY_ENDPOINTS, KEY_ENVIRONMENTS, KEY_STATUSES } from '../../keys/index.js'
import { ORGANIZATION_STATUSES } from '../../organizations/index.js'
import { BUDGET_DECISIONS, BUDGET_REASONS } from '../../budgets/index.js'
import { CountString, MicrosString, RateLimitsResponse, Timestamp } from './wire.schemas.js'

export const OrganizationIdParams = z.strictObject({
  organizationId: z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)'),
})

export const KeyIdParams = z.strictObject({
  keyId: z.string().regex(/^[0-9A-Za-z]{16}$/, 'must be an API key id (16 letters and digits)'),
})

const Name = z.string().trim().min(1).max(200)
const Metadata = z
  .record(z.string().min(1).max(64), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, {
    message: 'at most 50 metadata entries',
  })
export const RateLimitsBody = z.strictObject({
  requestsPerMinute: z.number().int().min(1).max(10_000_000).optional(),
  tokensPerMinute: z.number().int().min(1).max(10_000_000_000).optional(),
})
const IsoTimestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString())

export const CreateOrganizationBody = z.strictObject({
  name: Name,
  externalId: z.string().trim().min(1).max(200).nullable().optional(),
  metadata: Metadata.optional(),
  rateLimits: RateLimitsBody.optional(),
})

export const UpdateOrganizationBody = CreateOrganizationBody.partial().refine(
  (b) => Object.keys(b).length > 0,
  {
    message: 'give at least one of name, externalId, metadata, rateLimits',
  },
)

export const ListOrganizationsQuery = z.strictObject({
  search: z.string().max(200).optional(),
  status: z.enum(ORGANIZATION_STATUSES).optional(),
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
})

export const ScopesBody = z.strictObject({
  models: z.array(z.string().min(1).max(200)).max(1000).nullable(),
  endpoints: z.array(z.enum(KEY_ENDPOINTS)).nullable(),
})

export const CreateKeyBody = z.strictObject({
  name: Name,
  environment: z.enum(KEY_ENVIRONMENTS).default('live'),
  scopes: ScopesBody.optional(),
  expiresAt: IsoTimestamp.nullable().optional(),
  rateLimits: RateLimitsBody.optional(),
})

export const RenameKeyBody = z.strictObject({ name: Name })
export const KeyEnvironmentBody = z.strictObject({ environment: z.enum(KEY_ENVIRONMENTS) })
export const KeyExpiryBody = z.strictObject({ expiresAt: IsoTimestamp.nullable() })
export const RotateKeyBody = z.strictObject({
  /** How long the old secret keeps working; 0 stops it at once. @default 86400 (24 h) */
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .default(24 * 3600),
})
export const ListKeysQuery = z.strictObject({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

/** An organization as the API shows it (src/organizations/organization.ts). */
export const OrganizationResponse = z.object({
  organizationId: z.string(),
  name: z.string(),
  status: z.enum(ORGANIZATION_STATUSES),
  externalId: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  rateLimits: RateLimitsResponse,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

/** An API key as the API shows it (src/keys/api-key.ts): never its secret or hash. */
export const ApiKeyResponse = z.object({
  keyId: z.string(),
  organizationId: z.string(),
  name: z.string(),
  label: z.string(),
  environment: z.enum(KEY_ENVIRONMENTS),
  status: z.enum(KEY_STATUSES),
  scopes: z.object({
    models: z.array(z.string()).nullable(),
    endpoints: z.array(z.enum(KEY_ENDPOINTS)).nullable(),
  }),
  rateLimits: RateLimitsResponse,
  expiresAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  lastRotatedAt: Timestamp.nullable(),
  graceEndsAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

/** A key as issued, rotated or moved between environments: its secret, this once. */
export const ApiKeyWithSecretResponse = ApiKeyResponse.extend({ secret: z.string() })

/** One environment's standing; a part the caller may not read is null (see `withheld`). */
const EnvironmentSummaryResponse = z.object({
  /** The prepaid ledger balance (requests in flight not subtracted); null: no account yet. */
  balanceMicros: MicrosString.nullable(),
  monthToDateSpendMicros: MicrosString.nullable(),
  /** The budget policy's decision now for a request in this environment that costs nothing. */
  budget: z
    .object({ decision: z.enum(BUDGET_DECISIONS), reason: z.enum(BUDGET_REASONS) })
    .nullable(),
})

/**
 * One row of the organizations overview. A part the caller may not read is null and named in
 * the page's `withheld`: balances need `billing.read`, spend and tokens `usage.read`, budget
 * `budgets.read`.
 */
export const OrganizationSummaryResponse = z.object({
  organization: OrganizationResponse,
  /** `YYYY-MM` (UTC): the month the spend is of. */
  month: z.string(),
  budgetPolicy: z.object({ budgetPolicyId: z.string(), version: z.number().int() }).nullable(),
  monthToDateTokens: CountString.nullable(),
  live: EnvironmentSummaryResponse,
  test: EnvironmentSummaryResponse,
})

export const OrganizationSummaryPageResponse = z.object({
  object: z.literal('list'),
  data: z.array(OrganizationSummaryResponse),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
  /** The parts left out for want of a permission: `balance`, `spend`, `budget`. */
  withheld: z.array(z.enum(['balance', 'spend', 'budget'])),
})
