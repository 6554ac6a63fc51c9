import { describe, expect, it } from 'vitest'
import { ConfigError } from '../lib/errors.js'
import { SecretText } from '../lib/secret-text.js'
import { toConfiguredAccounts, type ConfiguredAccountInput } from './configured-accounts.js'

const input = (overrides: Partial<ConfiguredAccountInput>): ConfiguredAccountInput => ({
  name: 'vllm',
  kind: 'openai-compatible',
  baseUrl: 'http://10.0.0.5:8000/v1/',
  credential: null,
  credentialEnv: null,
  origin: 'file',
  models: ['llama-3*'],
  aliases: {},
  extraHeaders: {},
  timeouts: {},
  settings: {},
  status: 'active',
  ...overrides,
})

function problemsOf(inputs: ConfiguredAccountInput[]): readonly string[] {
  try {
    toConfiguredAccounts(inputs, { nowMs: 0 })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('toConfiguredAccounts', () => {
  it('lists configured accounts read-only, with a stable id and only a credential label', () => {
    const [account] = toConfiguredAccounts(
      [
        input({
          name: 'openai',
          kind: 'openai',
          baseUrl: 'https://api.openai.com/v1',
          credential: new SecretText('sk-CANARYabcdefghijklmnopqrstuvWXYZ'),
          credentialEnv: 'OPENAI_API_KEY',
          origin: 'environment',
        }),
      ],
      { nowMs: Date.UTC(2026, 0, 1) },
    )
    expect(account!.info).toMatchObject({
      providerAccountId: 'prv_config_openai',
      source: 'config',
      hasCredential: true,
      credentialLabel: 'sk-…WXYZ',
      credentialEnv: 'OPENAI_API_KEY',
      createdAt: '2026-01-01T00:00:00.000Z',
    })
    expect(JSON.stringify(account!.info)).not.toContain('CANARY')
  })

  it('normalizes the base URL', () => {
    expect(toConfiguredAccounts([input({})], { nowMs: 0 })[0]!.info.baseUrl).toBe(
      'http://10.0.0.5:8000/v1',
    )
  })

  it('applies the admin API rules and reports every problem at once', () => {
    const problems = problemsOf([
      input({ name: 'a', extraHeaders: { Authorization: 'Bearer x' } }),
      input({ name: 'b', kind: 'bedrock' }),
      input({ name: 'c', settings: { nope: true } }),
      input({ name: 'c' }),
      input({ name: 'd', baseUrl: 'https://user:pw@example.com' }),
    ])
    const text = problems.join('\n')
    expect(text).toContain("account 'a': extraHeaders.Authorization")
    expect(text).toContain("account 'b': kind")
    expect(text).toContain("account 'c': settings")
    expect(text).toContain("account 'c': the name is used twice")
    expect(text).toContain("account 'd': baseUrl")
    expect(text).not.toContain('pw@')
  })
})
