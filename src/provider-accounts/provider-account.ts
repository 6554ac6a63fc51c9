import { z } from 'zod'
import { looksLikeSecret } from '../lib/redact.js'
import {
  DEFAULT_UPSTREAM_ADDRESS_POLICY,
  PROVIDER_KINDS,
  hostRefusal,
  providerSettingsSchema,
  type UpstreamAddressPolicy,
  type ProviderKind,
  type UpstreamTimeouts,
} from '../providers/index.js'
import { ZOD_CUSTOM_ISSUE } from '../lib/zod-custom-issue.js'
import { formatParamPath } from '../lib/param-path.js'

export const PROVIDER_ACCOUNT_STATUSES = ['active', 'disabled'] as const
export type ProviderAccountStatus = (typeof PROVIDER_ACCOUNT_STATUSES)[number]

/** Where an account is declared: the admin API (stored) or the config file / environment. */
export const PROVIDER_ACCOUNT_SOURCES = ['database', 'config'] as const
export type ProviderAccountSource = (typeof PROVIDER_ACCOUNT_SOURCES)[number]

/** Prefix of every provider account ID; config accounts get `prv_config_<name>`. */
export const PROVIDER_ACCOUNT_ID_PREFIX = 'prv'

/**
 * A provider account as the admin API shows it. The credential itself is write-only: only
 * whether there is one and its label (`sk-…AbCd`) are ever shown.
 */
export interface ProviderAccountInfo {
  providerAccountId: string
  name: string
  kind: ProviderKind
  baseUrl: string
  hasCredential: boolean
  /** Prefix and last four of the credential, or null. */
  credentialLabel: string | null
  /** Config accounts: the environment variable the credential is read from. */
  credentialEnv: string | null
  extraHeaders: Record<string, string>
  timeouts: Partial<UpstreamTimeouts>
  settings: Record<string, unknown>
  /** Exact model names and trailing-`*` prefixes this account serves. */
  models: string[]
  /** Public model name → upstream model name. */
  aliases: Record<string, string>
  status: ProviderAccountStatus
  source: ProviderAccountSource
  createdAt: string
  updatedAt: string
}

/** The fields of an account an admin sets (everything but the credential). */
export interface ProviderAccountFields {
  name: string
  kind: ProviderKind
  baseUrl: string
  models: string[]
  aliases: Record<string, string>
  extraHeaders: Record<string, string>
  timeouts: Partial<UpstreamTimeouts>
  settings: Record<string, unknown>
  status: ProviderAccountStatus
}

/** A field-level problem: `param` names the field (`extraHeaders.Authorization`). */
export interface FieldProblem {
  param: string
  message: string
  /** The error code when it is more specific than a plain invalid value. */
  code?: 'base_url_forbidden'
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/
// A model name: printable, no whitespace, no `*` (that marks a prefix pattern).
const MODEL_NAME = /^[^\s*\p{Cc}]{1,256}$/u
const MODEL_PREFIX = /^[^\s*\p{Cc}]{0,255}\*$/u
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/
// Headers that carry credentials (those belong in the credential field, encrypted) or that
// Ferry sets itself.
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'ocp-apim-subscription-key',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'x-request-id',
])
const CREDENTIAL_LIKE_HEADER = /auth|key|token|secret|passw|credential|cookie|signature/i
const MAX_ENTRIES = 500

/**
 * Why a base URL is refused, or null when it is fine: http(s) only, no user info (credentials
 * go in the credential field), no query or fragment (paths are appended to it). Messages never
 * repeat the URL, which may hold a secret.
 */
export function baseUrlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an absolute http or https URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  if (url.username !== '' || url.password !== '')
    return 'must not contain credentials; set them with the credential field'
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#'))
    return 'must not have a query or fragment (put settings such as apiVersion in settings)'
  if (looksLikeSecret(value))
    return 'must not contain a credential; set it with the credential field'
  return null
}

/** The base URL as stored: without a trailing slash, so paths join with one. */
export function normalizeBaseUrl(value: string): string {
  return value.replace(/\/+$/, '')
}

/** The scheme, host and port a credential is sent to. */
export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin
}

/** True when the model entry is a prefix pattern (`gpt-4o*`, or `*` for every model). */
export function isModelPrefix(entry: string): boolean {
  return entry.endsWith('*')
}

function headerProblem(name: string, value: string): string | null {
  if (!HEADER_NAME.test(name)) return 'is not a valid header name'
  const lower = name.toLowerCase()
  if (RESERVED_HEADERS.has(lower) || CREDENTIAL_LIKE_HEADER.test(lower))
    return 'cannot be set here: credentials go in the credential field (stored encrypted), and Ferry sets its own headers'
  if (value.length > 2048 || /[\r\n\0]/.test(value))
    return 'must be one line of at most 2048 characters'
  if (looksLikeSecret(value)) return 'looks like a credential; set it with the credential field'
  return null
}

function customIssue(message: string, path: PropertyKey[] = []) {
  return { code: ZOD_CUSTOM_ISSUE, message, path }
}

/** Lowercase slug, 1–64 characters: `openai-prod`. */
export const ProviderAccountNameSchema = z
  .string()
  .regex(NAME, 'must be a lowercase slug of letters, digits and hyphens (at most 64)')

export const ProviderKindSchema = z.enum(PROVIDER_KINDS)

export const BaseUrlSchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = baseUrlProblem(value)
    if (problem !== null) ctx.addIssue(customIssue(problem))
  })

/** Model entries: exact names, or prefixes ending in `*`. */
export const ModelEntriesSchema = z
  .array(
    z
      .string()
      .refine(
        (entry) => MODEL_NAME.test(entry) || MODEL_PREFIX.test(entry),
        'must be a model name, or a prefix ending in * (gpt-4o*)',
      ),
  )
  .max(MAX_ENTRIES)

/** Public model name → upstream model name; both exact names. */
export const AliasesSchema = z.record(z.string(), z.string()).superRefine((aliases, ctx) => {
  const entries = Object.entries(aliases)
  if (entries.length > MAX_ENTRIES) ctx.addIssue(customIssue(`at most ${MAX_ENTRIES} aliases`))
  for (const [alias, target] of entries) {
    if (!MODEL_NAME.test(alias) || !MODEL_NAME.test(target))
      ctx.addIssue(
        customIssue('alias and target must be exact model names (no spaces, no *)', [alias]),
      )
  }
})

/** Extra headers sent upstream: no credentials, none of Ferry's own. */
export const ExtraHeadersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  const entries = Object.entries(headers)
  if (entries.length > 50) ctx.addIssue(customIssue('at most 50 headers'))
  const seen = new Set<string>()
  for (const [name, value] of entries) {
    const problem =
      headerProblem(name, value) ??
      (seen.has(name.toLowerCase()) ? 'is given twice (header names ignore case)' : null)
    seen.add(name.toLowerCase())
    if (problem !== null) ctx.addIssue(customIssue(problem, [name]))
  }
})

export const TimeoutsSchema = z.strictObject({
  connectMs: z.number().int().min(100).max(600_000).optional(),
  headersMs: z.number().int().min(1_000).max(3_600_000).optional(),
  bodyIdleMs: z.number().int().min(1_000).max(3_600_000).optional(),
})

/** Kind-specific settings; checked against the kind's schema by `checkProviderAccount`. */
export const SettingsSchema = z.record(z.string(), z.unknown())

export const ProviderAccountStatusSchema = z.enum(PROVIDER_ACCOUNT_STATUSES)

/** A credential as given: one line, trimmed. Zod messages never echo it. */
export const CredentialSchema = z
  .string()
  .trim()
  .min(1)
  .max(8192)
  .refine((value) => !/[\s\0]/.test(value), 'must be one token without spaces or line breaks')

/** Every field of a new account (the admin API and the config file share it). */
export const ProviderAccountFieldsSchema = z.strictObject({
  name: ProviderAccountNameSchema,
  kind: ProviderKindSchema,
  baseUrl: BaseUrlSchema,
  models: ModelEntriesSchema.default([]),
  aliases: AliasesSchema.default({}),
  extraHeaders: ExtraHeadersSchema.default({}),
  timeouts: TimeoutsSchema.default({}),
  settings: SettingsSchema.default({}),
  status: ProviderAccountStatusSchema.default('active'),
})

/**
 * Why the base URL's host is refused by the address policy (the SSRF guard: link-local, cloud
 * metadata, reserved, and private unless allowed), or null. Checked again at connect time on
 * the address DNS returns, so a name that later resolves to a forbidden address is still refused.
 */
export function baseUrlAddressProblem(
  baseUrl: string,
  policy: UpstreamAddressPolicy,
): FieldProblem | null {
  const refusal = hostRefusal(new URL(baseUrl).hostname, policy)
  return refusal === null
    ? null
    : { param: 'baseUrl', message: refusal.message, code: 'base_url_forbidden' }
}

/**
 * Rules across fields, run on the account as it will be saved: the base URL's host is allowed
 * by the address policy, the settings fit the kind, and no alias shadows one of the account's
 * own model names.
 */
export function checkProviderAccount(
  fields: ProviderAccountFields,
  addressPolicy: UpstreamAddressPolicy = DEFAULT_UPSTREAM_ADDRESS_POLICY,
): FieldProblem[] {
  const problems: FieldProblem[] = []
  const addressProblem = baseUrlAddressProblem(fields.baseUrl, addressPolicy)
  if (addressProblem !== null) problems.push(addressProblem)
  const settings = providerSettingsSchema(fields.kind).safeParse(fields.settings)
  if (!settings.success) {
    for (const issue of settings.error.issues) {
      problems.push({
        param: formatParamPath(['settings', ...issue.path]),
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown setting(s) for kind '${fields.kind}': ${issue.keys.join(', ')}`
            : issue.message,
      })
    }
  }
  const names = new Set(fields.models.filter((m) => !isModelPrefix(m)))
  for (const alias of Object.keys(fields.aliases)) {
    if (names.has(alias))
      problems.push({
        param: `aliases.${alias}`,
        message: "is also one of this account's model names; keep one of them",
      })
  }
  return problems
}

/** Model entries without duplicates, in the order given. */
export function dedupeModels(models: readonly string[]): string[] {
  return [...new Set(models)]
}

/**
 * The fields of an account an audit diff may show (see AUDIT_TARGETS.provider): header names
 * but not their values, the credential's label but never the credential.
 */
export function providerAccountDiff(account: ProviderAccountInfo): Record<string, unknown> {
  return {
    name: account.name,
    kind: account.kind,
    baseUrl: account.baseUrl,
    headerNames: Object.keys(account.extraHeaders).sort(),
    timeouts: account.timeouts,
    models: account.models,
    aliases: account.aliases,
    settings: account.settings,
    status: account.status,
    credentialLabel: account.credentialLabel,
  }
}
