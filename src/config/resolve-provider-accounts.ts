import { readFileSync } from 'node:fs'
import { SecretText } from '../lib/secret-text.js'
import type { Config, ConfiguredProviderAccount } from './config.schema.js'

type ProvidersSection = Config['providers']

/**
 * Accounts offered when their well-known variable is set, so `OPENAI_API_KEY=… ferry start`
 * serves OpenAI models with no config file. A config-file account of the same name replaces it.
 */
export const ENVIRONMENT_PROVIDER_ACCOUNTS = [
  {
    name: 'openai',
    kind: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    credentialEnv: 'OPENAI_API_KEY',
    models: [
      'gpt-*',
      'o1*',
      'o3*',
      'o4*',
      'chatgpt-*',
      'text-embedding-*',
      'davinci-002',
      'babbage-002',
    ],
  },
  {
    name: 'anthropic',
    kind: 'anthropic',
    baseUrl: 'https://api.anthropic.com',
    credentialEnv: 'ANTHROPIC_API_KEY',
    models: ['claude-*'],
  },
] as const

/**
 * The built-in mock account (no network; see docs/providers.md): `mock` and `mock-embedding`
 * by name, and any `mock-…` or `mock?knob=…` model. Turn it off with `providers.builtinMock`.
 */
export const BUILTIN_MOCK_PROVIDER_ACCOUNT: ConfiguredProviderAccount = {
  name: 'mock',
  kind: 'mock',
  // Never called: the mock adapter makes no network requests.
  baseUrl: 'http://mock.invalid',
  credential: null,
  credentialEnv: null,
  origin: 'builtin',
  models: ['mock', 'mock-embedding', 'mock-*', 'mock?*'],
  aliases: {},
  extraHeaders: {},
  timeouts: {},
  settings: {},
  status: 'active',
}

/**
 * Turn the config file's `providers` section and the environment into the accounts the gateway
 * serves from memory: the file's accounts (credentials read from the variables they name, or
 * from `<NAME>_FILE`), then the environment's well-known accounts, then the built-in mock.
 * Problems (a named variable that is not set) are appended to `problems`, never thrown, so the
 * loader reports them with every other one. Values are never echoed in a problem.
 */
export function resolveProviderAccounts(
  section: ProvidersSection,
  options: { env: NodeJS.ProcessEnv; problems: string[] },
): ConfiguredProviderAccount[] {
  const { env, problems } = options
  const out: ConfiguredProviderAccount[] = section.accounts.map((account, index) => {
    const where = `providers.accounts.${index}.credentialEnv`
    const credentialEnv = account.credentialEnv ?? null
    let credential: SecretText | null = null
    if (credentialEnv !== null) {
      const known = problems.length
      credential = readCredential(credentialEnv, { env, problems, where })
      if (credential === null && problems.length === known)
        problems.push(`${where}: ${credentialEnv} is not set`)
    }
    return {
      name: account.name,
      kind: account.kind,
      baseUrl: account.baseUrl,
      credential,
      credentialEnv,
      origin: 'file',
      models: account.models,
      aliases: account.aliases,
      extraHeaders: account.extraHeaders,
      timeouts: account.timeouts,
      settings: account.settings,
      status: account.status,
    }
  })
  const declared = new Set(out.map((account) => account.name))
  for (const spec of ENVIRONMENT_PROVIDER_ACCOUNTS) {
    if (declared.has(spec.name)) continue
    const credential = readCredential(spec.credentialEnv, {
      env,
      problems,
      where: spec.credentialEnv,
    })
    if (credential === null) continue
    out.push({
      ...spec,
      models: [...spec.models],
      credential,
      origin: 'environment',
      aliases: {},
      extraHeaders: {},
      timeouts: {},
      settings: {},
      status: 'active',
    })
  }
  if (section.builtinMock && !declared.has(BUILTIN_MOCK_PROVIDER_ACCOUNT.name))
    out.push(BUILTIN_MOCK_PROVIDER_ACCOUNT)
  return out
}

/** The variable's value, else the content of the file `<NAME>_FILE` names; null when neither. */
function readCredential(
  name: string,
  options: { env: NodeJS.ProcessEnv; problems: string[]; where: string },
): SecretText | null {
  const { env, problems, where } = options
  const direct = env[name]
  const fileVar = `${name}_FILE`
  const file = env[fileVar]
  const hasDirect = direct !== undefined && direct.trim() !== ''
  const hasFile = file !== undefined && file !== ''
  if (hasDirect && hasFile) {
    problems.push(`${where}: ${name} and ${fileVar} are both set; use one`)
    return null
  }
  if (hasDirect) return new SecretText(direct.trim())
  if (!hasFile) return null
  try {
    const value = readFileSync(file, 'utf8').trim()
    if (value !== '') return new SecretText(value)
    problems.push(`${where}: ${fileVar} names an empty file`)
  } catch {
    problems.push(`${where}: ${fileVar}: cannot read ${file}`)
  }
  return null
}
