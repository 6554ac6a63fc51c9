import { describe, expect, it } from 'vitest'
import {
  ProviderAccountFieldsSchema,
  baseUrlProblem,
  checkProviderAccount,
  type ProviderAccountFields,
} from './provider-account.js'

const base: ProviderAccountFields = {
  name: 'openai-prod',
  kind: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  models: ['gpt-4o'],
  aliases: {},
  extraHeaders: {},
  timeouts: {},
  settings: {},
  status: 'active',
}

/** The path of the first problem zod reports for these fields. */
function firstProblemPath(fields: Record<string, unknown>): string | undefined {
  const parsed = ProviderAccountFieldsSchema.safeParse({ ...base, ...fields })
  return parsed.success ? undefined : parsed.error.issues[0]!.path.map(String).join('.')
}

describe('provider account fields', () => {
  it('accepts a plain account and fills defaults', () => {
    const parsed = ProviderAccountFieldsSchema.parse({
      name: 'vllm',
      kind: 'openai-compatible',
      baseUrl: 'http://10.0.0.5:8000/v1',
    })
    expect(parsed).toMatchObject({ models: [], aliases: {}, status: 'active' })
  })

  it('refuses base URLs that are not http(s), carry credentials, a query or a key', () => {
    expect(baseUrlProblem('https://api.openai.com/v1')).toBeNull()
    expect(baseUrlProblem('http://localhost:11434/v1')).toBeNull()
    expect(baseUrlProblem('ftp://example.com')).toMatch(/http or https/)
    expect(baseUrlProblem('file:///etc/passwd')).toMatch(/http or https/)
    expect(baseUrlProblem('api.openai.com/v1')).toMatch(/absolute/)
    expect(baseUrlProblem('https://user:pass@example.com/v1')).toMatch(/credentials/)
    expect(baseUrlProblem('https://example.com/v1?api-version=1')).toMatch(/query/)
    expect(baseUrlProblem('https://example.com/v1#x')).toMatch(/fragment/)
    expect(baseUrlProblem('https://example.com/sk-abcdefghijklmnopqrstuvwx')).toMatch(/credential/)
    const problem = baseUrlProblem('https://user:hunter2secret@example.com')
    expect(problem).not.toContain('hunter2secret')
    expect(firstProblemPath({ baseUrl: 'https://u:p@example.com' })).toBe('baseUrl')
  })

  it('refuses credential headers and header values that look like keys, naming the header', () => {
    for (const name of ['Authorization', 'api-key', 'X-Api-Key', 'x-goog-api-key', 'X-Auth-Token'])
      expect(firstProblemPath({ extraHeaders: { [name]: 'value' } })).toBe(`extraHeaders.${name}`)
    expect(firstProblemPath({ extraHeaders: { 'X-Custom': 'Bearer abcdefghijklmnopqrstu' } })).toBe(
      'extraHeaders.X-Custom',
    )
    expect(firstProblemPath({ extraHeaders: { 'X-Custom': 'a\r\nb' } })).toBe(
      'extraHeaders.X-Custom',
    )
    expect(firstProblemPath({ extraHeaders: { 'bad header': 'x' } })).toBe(
      'extraHeaders.bad header',
    )
    expect(
      firstProblemPath({
        extraHeaders: { 'OpenAI-Organization': 'org-123', 'anthropic-beta': 'x' },
      }),
    ).toBeUndefined()
  })

  it('takes exact model names and trailing-* prefixes only', () => {
    expect(firstProblemPath({ models: ['gpt-4o', 'gpt-4o*', 'mock?*', '*'] })).toBeUndefined()
    expect(firstProblemPath({ models: ['gpt-*-mini'] })).toBe('models.0')
    expect(firstProblemPath({ models: ['ok', 'has space'] })).toBe('models.1')
    expect(firstProblemPath({ models: [''] })).toBe('models.0')
    expect(firstProblemPath({ aliases: { fast: 'gpt-4o*' } })).toBe('aliases.fast')
  })

  it('checks timeouts, the name and the kind', () => {
    expect(firstProblemPath({ timeouts: { connectMs: 1 } })).toBe('timeouts.connectMs')
    expect(firstProblemPath({ timeouts: { totalMs: 1000 } })).toBe('timeouts')
    expect(firstProblemPath({ name: 'Open AI' })).toBe('name')
    expect(firstProblemPath({ kind: 'bedrock' })).toBe('kind')
  })
})

describe('checkProviderAccount', () => {
  it("checks settings against the kind's schema, naming the setting", () => {
    expect(checkProviderAccount({ ...base, settings: { forceStreamUsage: false } })).toEqual([])
    expect(checkProviderAccount({ ...base, settings: { forceStreamUsage: 'yes' } })).toEqual([
      { param: 'settings.forceStreamUsage', message: expect.any(String) as string },
    ])
    expect(checkProviderAccount({ ...base, settings: { nope: 1 } })[0]).toMatchObject({
      param: 'settings',
      message: expect.stringContaining('nope') as string,
    })
  })

  it('refuses an alias that is also one of the account’s model names', () => {
    expect(
      checkProviderAccount({ ...base, models: ['gpt-4o'], aliases: { 'gpt-4o': 'gpt-4o-2024' } }),
    ).toEqual([{ param: 'aliases.gpt-4o', message: expect.any(String) as string }])
  })
})
