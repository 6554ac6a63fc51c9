/**
 * Provider accounts (the upstreams Ferry calls, with encrypted credentials) and the model →
 * account mapping the `/v1` proxy uses until versioned route policies land.
 */
export {
  AliasesSchema,
  BaseUrlSchema,
  CredentialSchema,
  ExtraHeadersSchema,
  ModelEntriesSchema,
  PROVIDER_ACCOUNT_SOURCES,
  PROVIDER_ACCOUNT_STATUSES,
  ProviderAccountNameSchema,
  ProviderAccountStatusSchema,
  ProviderKindSchema,
  SettingsSchema,
  TimeoutsSchema,
  type ProviderAccountFields,
  type ProviderAccountInfo,
  type ProviderAccountSource,
  type ProviderAccountStatus,
} from './provider-account.js'
export {
  ProviderAccountNotFoundError,
  ProviderAccountReadOnlyError,
  ProviderCredentialBoundError,
  ProviderNameTakenError,
} from './provider-account-errors.js'
export {
  createCredentialCipher,
  credentialLabel,
  type CredentialCipher,
} from './credential-cipher.js'
export {
  configuredAccountId,
  toConfiguredAccounts,
  type ConfiguredAccount,
  type ConfiguredAccountInput,
} from './configured-accounts.js'
export {
  createProviderAccountsService,
  type DeletedProviderAccount,
  type NewProviderAccount,
  type ProviderAccountPatch,
  type ProviderAccountsService,
  type ProviderAccountsServiceDeps,
} from './provider-accounts.service.js'
export {
  buildModelTable,
  resolveModel,
  type ListedModel,
  type ModelTable,
  type ResolvedModel,
  type RoutableAccount,
} from './resolve-model.js'
export {
  createModelResolver,
  type ProviderModelResolver,
  type ProviderModelResolverOptions,
} from './model-resolver.js'
