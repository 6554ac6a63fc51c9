import { toIsoTimestamp } from '../lib/clock.js'
import type { UpstreamAddressPolicy } from '../providers/index.js'
import { ConfigError } from '../lib/errors.js'
import { credentialLabel } from './credential-cipher.js'
import {
  PROVIDER_ACCOUNT_ID_PREFIX,
  ProviderAccountFieldsSchema,
  checkProviderAccount,
  dedupeModels,
  normalizeBaseUrl,
  type ProviderAccountInfo,
} from './provider-account.js'

/**
 * A provider account the configuration declares (config file, environment, built-in mock), as
 * `loadConfig` resolved it. The credential only shows its value through `reveal()`.
 */
export interface ConfiguredAccountInput {
  readonly name: string
  readonly kind: string
  readonly baseUrl: string
  readonly credential: { reveal(): string } | null
  readonly credentialEnv: string | null
  readonly origin: 'file' | 'environment' | 'builtin'
  readonly models: readonly string[]
  readonly aliases: Readonly<Record<string, string>>
  readonly extraHeaders: Readonly<Record<string, string>>
  readonly timeouts: Readonly<{ connectMs?: number; headersMs?: number; bodyIdleMs?: number }>
  readonly settings: Readonly<Record<string, unknown>>
  readonly status: 'active' | 'disabled'
}

/** A validated configured account: what the admin API lists, and its credential in memory. */
export interface ConfiguredAccount {
  readonly info: ProviderAccountInfo
  readonly credential: { reveal(): string } | null
}

/** `prv_config_<name>`: stable across restarts and instances, and never a database ID. */
export function configuredAccountId(name: string): string {
  return `${PROVIDER_ACCOUNT_ID_PREFIX}_config_${name}`
}

/**
 * Validate the configured accounts with the admin API's own rules and give each its read-only
 * listing. Every problem is reported at once as a ConfigError, so the gateway does not start
 * with an account it would refuse through the API.
 */
export function toConfiguredAccounts(
  inputs: readonly ConfiguredAccountInput[],
  options: { nowMs: number; addressPolicy?: UpstreamAddressPolicy },
): ConfiguredAccount[] {
  const problems: string[] = []
  const seen = new Set<string>()
  const now = toIsoTimestamp(options.nowMs)
  const out: ConfiguredAccount[] = []
  for (const input of inputs) {
    const where = `providers: account '${input.name}'`
    if (seen.has(input.name)) problems.push(`${where}: the name is used twice`)
    seen.add(input.name)
    const parsed = ProviderAccountFieldsSchema.safeParse({
      name: input.name,
      kind: input.kind,
      baseUrl: input.baseUrl,
      models: input.models,
      aliases: input.aliases,
      extraHeaders: input.extraHeaders,
      timeouts: input.timeouts,
      settings: input.settings,
      status: input.status,
    })
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(
          `${where}: ${issue.path.map(String).join('.') || '(account)'}: ${issue.message}`,
        )
      continue
    }
    const fields = { ...parsed.data, models: dedupeModels(parsed.data.models) }
    for (const problem of checkProviderAccount(fields, options.addressPolicy))
      problems.push(`${where}: ${problem.param}: ${problem.message}`)
    const credential = input.credential
    out.push({
      credential,
      info: {
        providerAccountId: configuredAccountId(fields.name),
        ...fields,
        baseUrl: normalizeBaseUrl(fields.baseUrl),
        hasCredential: credential !== null,
        credentialLabel: credential === null ? null : credentialLabel(credential.reveal()),
        credentialEnv: input.credentialEnv,
        source: 'config',
        createdAt: now,
        updatedAt: now,
      },
    })
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return out
}
