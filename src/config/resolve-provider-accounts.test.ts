import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../lib/errors.js'
import { loadConfig } from './load-config.js'

const OPENAI_KEY = 'sk-CANARYopenai0123456789abcdefAbCd'
const ANTHROPIC_KEY = 'sk-ant-CANARYanthropic0123456789WxYz'

function dirWithConfig(yaml?: string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'ferry-providers-'))
  if (yaml !== undefined) writeFileSync(join(cwd, 'ferry.config.yaml'), yaml)
  return cwd
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

const names = (config: ReturnType<typeof loadConfig>) =>
  (config.providerAccounts ?? []).map((a) => `${a.name}:${a.origin}`)

describe('provider accounts from config and environment', () => {
  it('offers only the built-in mock with no configuration at all', () => {
    const config = loadConfig({ env: {}, cwd: dirWithConfig() })
    expect(names(config)).toEqual(['mock:builtin'])
    expect(config.providerAccounts?.[0]).toMatchObject({ kind: 'mock', credential: null })
  })

  it('offers openai and anthropic accounts when their API keys are set', () => {
    const config = loadConfig({
      env: { OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY },
      cwd: dirWithConfig(),
    })
    expect(names(config)).toEqual(['openai:environment', 'anthropic:environment', 'mock:builtin'])
    const [openai, anthropic] = config.providerAccounts!
    expect(openai).toMatchObject({
      kind: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      credentialEnv: 'OPENAI_API_KEY',
    })
    expect(openai!.models).toEqual(
      expect.arrayContaining(['gpt-*', 'o1*', 'o3*', 'o4*', 'chatgpt-*', 'text-embedding-*']),
    )
    expect(openai!.credential?.reveal()).toBe(OPENAI_KEY)
    expect(anthropic).toMatchObject({ kind: 'anthropic', baseUrl: 'https://api.anthropic.com' })
    expect(anthropic!.models).toEqual(['claude-*'])
    expect(anthropic!.credential?.reveal()).toBe(ANTHROPIC_KEY)
  })

  it('never shows a credential when the config is serialized or inspected', () => {
    const config = loadConfig({
      env: { OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY },
      cwd: dirWithConfig(),
    })
    expect(JSON.stringify(config)).not.toContain('CANARY')
    expect(inspect(config, { depth: 10 })).not.toContain('CANARY')
    expect(Object.isFrozen(config.providerAccounts)).toBe(true)
  })

  it('reads config-file accounts, their credential from the variable they name', () => {
    const cwd = dirWithConfig(`
providers:
  builtinMock: false
  accounts:
    - name: vllm
      kind: openai-compatible
      baseUrl: http://10.0.0.5:8000/v1
      models: [llama-3*]
      aliases: { fast: llama-3.1-8b }
    - name: openai
      kind: openai
      baseUrl: https://api.openai.com/v1
      credentialEnv: OPENAI_PROD_KEY
      models: [gpt-4o]
      extraHeaders: { OpenAI-Organization: org-123 }
      timeouts: { headersMs: 60000 }
`)
    const config = loadConfig({
      env: { OPENAI_PROD_KEY: OPENAI_KEY, OPENAI_API_KEY: 'sk-ignored-because-openai-is-declared' },
      cwd,
    })
    expect(names(config)).toEqual(['vllm:file', 'openai:file'])
    const [vllm, openai] = config.providerAccounts!
    expect(vllm).toMatchObject({ credential: null, aliases: { fast: 'llama-3.1-8b' } })
    expect(openai!.credential?.reveal()).toBe(OPENAI_KEY)
    expect(openai).toMatchObject({
      credentialEnv: 'OPENAI_PROD_KEY',
      models: ['gpt-4o'],
      extraHeaders: { 'OpenAI-Organization': 'org-123' },
      timeouts: { headersMs: 60000 },
    })
  })

  it('reads a credential from <NAME>_FILE', () => {
    const cwd = dirWithConfig()
    writeFileSync(join(cwd, 'anthropic.key'), `${ANTHROPIC_KEY}\n`)
    const config = loadConfig({ env: { ANTHROPIC_API_KEY_FILE: join(cwd, 'anthropic.key') }, cwd })
    expect(config.providerAccounts?.[0]?.credential?.reveal()).toBe(ANTHROPIC_KEY)
  })

  it('turns the built-in mock off with FERRY_PROVIDERS_BUILTIN_MOCK', () => {
    const config = loadConfig({
      env: { FERRY_PROVIDERS_BUILTIN_MOCK: 'false' },
      cwd: dirWithConfig(),
    })
    expect(config.providerAccounts).toEqual([])
  })

  it('reports a credential variable that is not set, and never echoes a value', () => {
    const cwd = dirWithConfig(`
providers:
  accounts:
    - name: groq
      kind: openai-compatible
      baseUrl: https://api.groq.com/openai/v1
      credentialEnv: GROQ_API_KEY
    - name: other
      kind: openai-compatible
      baseUrl: https://example.com/v1
      credentialEnv: BOTH_SET
`)
    const problems = problemsOf(() =>
      loadConfig({ env: { BOTH_SET: OPENAI_KEY, BOTH_SET_FILE: '/nonexistent' }, cwd }),
    )
    const text = problems.join('\n')
    expect(text).toContain('providers.accounts.0.credentialEnv: GROQ_API_KEY is not set')
    expect(text).toContain('BOTH_SET and BOTH_SET_FILE are both set')
    expect(text).not.toContain('CANARY')
  })

  it('refuses a credential written into the config file itself', () => {
    const cwd = dirWithConfig(`
providers:
  accounts:
    - name: plain
      kind: openai-compatible
      baseUrl: https://example.com/v1
      credential: sk-CANARYinline0123456789
`)
    const text = problemsOf(() => loadConfig({ env: {}, cwd })).join('\n')
    expect(text).toContain("unknown setting 'providers.accounts.0.credential'")
    expect(text).not.toContain('CANARY')
  })
})
