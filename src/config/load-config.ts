import { readFileSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { ConfigError } from '../lib/errors.js'
import { deepFreeze } from '../lib/deep-freeze.js'
import { ConfigSchema, type Config } from './config.schema.js'
import { ENV_SETTINGS, OTHER_ENV_VARS, type EnvSetting } from './env-settings.js'
import { resolveProviderAccounts } from './resolve-provider-accounts.js'

/** Settings given on the command line; they outrank every other source. */
export type ConfigOverrides = {
  host?: string
  port?: number
  dataDir?: string
  databaseUrl?: string
  logLevel?: string
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv
  /** `--config`; falls back to FERRY_CONFIG, then ferry.config.{yaml,yml,json} in `cwd`. */
  configFile?: string
  overrides?: ConfigOverrides
  cwd?: string
}

type PlainObject = Record<string, unknown>
const DEFAULT_CONFIG_FILES = ['ferry.config.yaml', 'ferry.config.yml', 'ferry.config.json']

/**
 * Read every source, validate once, and return one frozen Config. Every problem from every
 * source is collected and thrown together as a ConfigError, so an operator fixes them in one go.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const problems: string[] = []
  const sources = new Map<string, string>()
  const merged: PlainObject = {}

  const configFile = findConfigFile(options.configFile ?? env.FERRY_CONFIG, cwd, problems)
  if (configFile !== undefined) {
    const fromFile = readConfigFile(configFile, problems)
    if (fromFile !== undefined) mergeInto(merged, fromFile, { sources, label: configFile })
  }
  mergeInto(merged, readEnv(env, problems, sources), { sources })
  mergeInto(merged, overridesToObject(options.overrides ?? {}), {
    sources,
    label: 'command line',
  })

  const parsed = ConfigSchema.safeParse(merged)
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => formatIssue(i, sources)))
  // Only config/ reads the environment: provider credentials are resolved here, once.
  const providerAccounts = parsed.success
    ? resolveProviderAccounts(parsed.data.providers, { env, problems })
    : []
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems)
  return deepFreeze({ ...parsed.data, providerAccounts, ...(configFile ? { configFile } : {}) })
}

/** FERRY_* variables that match no setting: probably a typo, worth a warning at startup. */
export function findUnknownEnvVars(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set<string>(OTHER_ENV_VARS)
  for (const setting of ENV_SETTINGS) {
    known.add(setting.env)
    if ('secret' in setting && setting.secret) known.add(`${setting.env}_FILE`)
  }
  return Object.keys(env).filter(
    (name) => name.startsWith('FERRY_') && !name.startsWith('FERRY_TEST_') && !known.has(name),
  )
}

function findConfigFile(given: string | undefined, cwd: string, problems: string[]) {
  if (given !== undefined && given !== '') {
    const path = resolve(cwd, given)
    if (!existsSync(path)) {
      problems.push(`config file ${path} does not exist`)
      return undefined
    }
    return path
  }
  return DEFAULT_CONFIG_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path))
}

function readConfigFile(path: string, problems: string[]): PlainObject | undefined {
  try {
    const text = readFileSync(path, 'utf8')
    const value: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
    if (value === null || value === undefined) return {}
    if (!isPlainObject(value)) {
      problems.push(`${path}: the top level must be a mapping of settings`)
      return undefined
    }
    return value
  } catch (err) {
    problems.push(`${path}: cannot be read (${err instanceof Error ? err.message : String(err)})`)
    return undefined
  }
}

function readEnv(env: NodeJS.ProcessEnv, problems: string[], sources: Map<string, string>) {
  const out: PlainObject = {}
  for (const setting of ENV_SETTINGS as readonly EnvSetting[]) {
    const raw = readEnvValue(setting, env, problems)
    if (raw === undefined) continue
    const value = convertEnvValue(setting, raw, problems)
    if (value === undefined) continue
    setPath(out, setting.path, value)
    sources.set(setting.path.join('.'), setting.env)
  }
  return out
}

function readEnvValue(setting: EnvSetting, env: NodeJS.ProcessEnv, problems: string[]) {
  const direct = env[setting.env]
  const fileVar = `${setting.env}_FILE`
  const file = setting.secret ? env[fileVar] : undefined
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    problems.push(`${setting.env} and ${fileVar} are both set; use one`)
    return undefined
  }
  if (file !== undefined && file !== '') {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch {
      problems.push(`${fileVar}: cannot read ${file}`)
      return undefined
    }
  }
  return direct === '' ? undefined : direct
}

function convertEnvValue(setting: EnvSetting, raw: string, problems: string[]): unknown {
  switch (setting.kind) {
    case 'string':
      return raw
    case 'int':
      if (/^-?\d+$/.test(raw.trim())) return Number(raw.trim())
      problems.push(`${setting.env}: expected a whole number, got ${JSON.stringify(raw)}`)
      return undefined
    case 'bool': {
      const value = raw.trim().toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(value)) return true
      if (['false', '0', 'no', 'off'].includes(value)) return false
      problems.push(`${setting.env}: expected true or false, got ${JSON.stringify(raw)}`)
      return undefined
    }
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
  }
}

function overridesToObject(overrides: ConfigOverrides): PlainObject {
  const out: PlainObject = {}
  if (overrides.host !== undefined) setPath(out, ['server', 'host'], overrides.host)
  if (overrides.port !== undefined) setPath(out, ['server', 'port'], overrides.port)
  if (overrides.dataDir !== undefined) setPath(out, ['dataDir'], overrides.dataDir)
  if (overrides.databaseUrl !== undefined) setPath(out, ['database', 'url'], overrides.databaseUrl)
  if (overrides.logLevel !== undefined) setPath(out, ['log', 'level'], overrides.logLevel)
  return out
}

function mergeInto(
  target: PlainObject,
  source: PlainObject,
  options: { sources: Map<string, string>; label?: string; prefix?: string },
) {
  for (const [key, value] of Object.entries(source)) {
    const path = options.prefix ? `${options.prefix}.${key}` : key
    const existing = target[key]
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, { ...options, prefix: path })
    } else {
      target[key] = isPlainObject(value) ? structuredClone(value) : value
      if (options.label !== undefined) labelLeaves(path, value, options)
    }
  }
}

function labelLeaves(
  path: string,
  value: unknown,
  options: { sources: Map<string, string>; label?: string },
) {
  if (options.label === undefined) return
  if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) labelLeaves(`${path}.${key}`, child, options)
  } else {
    options.sources.set(path, options.label)
  }
}

function setPath(target: PlainObject, path: readonly string[], value: unknown) {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (isPlainObject(next)) node = next
    else {
      const created: PlainObject = {}
      node[key] = created
      node = created
    }
  }
  node[path[path.length - 1]!] = value
}

function formatIssue(issue: z.core.$ZodIssue, sources: Map<string, string>): string {
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const full = path ? `${path}.${key}` : key
        return `${sources.get(full) ?? 'config'}: unknown setting '${full}'`
      })
      .join('\n  - ')
  }
  const source = sources.get(path)
  const where = source && source !== path ? `${source} (${path})` : path || 'config'
  return `${where}: ${issue.message}`
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
