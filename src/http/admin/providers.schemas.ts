import { z } from 'zod'
import {
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
