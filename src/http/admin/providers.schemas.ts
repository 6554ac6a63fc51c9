import { z } from 'zod'
import {
  PROVIDER_ACCOUNT_SOURCES,
  PROVIDER_ACCOUNT_STATUSES,
  AliasesSchema,
  BaseUrlSchema,
  CredentialSchema,
  ExtraHeadersSchema,
  ModelEntriesSchema,
  ProviderAccountNameSchema,
  ProviderAccountStatusSchema,
  ProviderKindSchema,
  SettingsSchema,
  TimeoutsSchema,
} from '../../provider-accounts/index.js'
import { PROVIDER_KINDS } from '../../providers/index.js'
import { Timestamp } from './wire.schemas.js'

export const ProviderAccountIdParams = z.strictObject({
  providerAccountId: z
    .string()
    .regex(
      /^prv_(?:[0-9a-z]{26}|config_[a-z0-9-]{1,64})$/,
      'must be a provider account id (prv_…)',
    ),
})

/** The editable fields; the kind is set at creation only. */
const EditableFields = {
  name: ProviderAccountNameSchema,
  baseUrl: BaseUrlSchema,
  models: ModelEntriesSchema,
  aliases: AliasesSchema,
  extraHeaders: ExtraHeadersSchema,
  timeouts: TimeoutsSchema,
  settings: SettingsSchema,
  status: ProviderAccountStatusSchema,
}

export const CreateProviderAccountBody = z.strictObject({
  ...EditableFields,
  kind: ProviderKindSchema,
  models: ModelEntriesSchema.optional(),
  aliases: AliasesSchema.optional(),
  extraHeaders: ExtraHeadersSchema.optional(),
  timeouts: TimeoutsSchema.optional(),
  settings: SettingsSchema.optional(),
  status: ProviderAccountStatusSchema.optional(),
  /** Write-only: stored encrypted, never returned. Omitted or null: no credential. */
  credential: CredentialSchema.nullable().optional(),
})

export const UpdateProviderAccountBody = z
  .strictObject(EditableFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, {
    message:
      'give at least one of name, baseUrl, models, aliases, extraHeaders, timeouts, settings, status',
  })

/** null removes the credential. */
export const SetCredentialBody = z.strictObject({ credential: CredentialSchema.nullable() })

/**
 * A provider account as the API shows it (ProviderAccountInfo). The credential is write-only:
 * only whether there is one, its label and (config accounts) the variable it is read from.
 */
export const ProviderAccountResponse = z.object({
  providerAccountId: z.string(),
  name: z.string(),
  kind: z.enum(PROVIDER_KINDS),
  baseUrl: z.string(),
  hasCredential: z.boolean(),
  /** Prefix and last four of the credential, or null. */
  credentialLabel: z.string().nullable(),
  /** Config accounts: the environment variable the credential is read from. */
  credentialEnv: z.string().nullable(),
  extraHeaders: z.record(z.string(), z.string()),
  timeouts: z.object({
    connectMs: z.number().int().optional(),
    headersMs: z.number().int().optional(),
    bodyIdleMs: z.number().int().optional(),
  }),
  /** Kind-specific settings (docs/providers.md). */
  settings: z.record(z.string(), z.unknown()),
  /** Exact model names and trailing-`*` prefixes this account serves. */
  models: z.array(z.string()),
  /** Public model name → upstream model name. */
  aliases: z.record(z.string(), z.string()),
  status: z.enum(PROVIDER_ACCOUNT_STATUSES),
  /** `database`: made through the admin API; `config`: the config file or environment (read-only). */
  source: z.enum(PROVIDER_ACCOUNT_SOURCES),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const ProviderAccountListResponse = z.object({
  object: z.literal('list'),
  data: z.array(ProviderAccountResponse),
})

export const DeletedProviderAccountResponse = z.object({
  providerAccountId: z.string(),
  deleted: z.literal(true),
})
