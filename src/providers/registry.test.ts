import { describe, expect, it } from 'vitest'
import { createProviderRegistry, providerSettingsSchema } from './registry.js'
import { PROVIDER_KINDS } from './upstream-context.js'

describe('provider registry', () => {
  it('has an adapter for every provider kind', async () => {
    const registry = createProviderRegistry()
    for (const kind of PROVIDER_KINDS) expect(registry.adapterFor(kind).kind).toBe(kind)
    expect(registry.forAccount({ kind: 'anthropic' }).kind).toBe('anthropic')
    await registry.close()
  })

  it('validates each kind’s settings and refuses unknown keys', () => {
    expect(
      providerSettingsSchema('azure-openai').safeParse({ apiVersion: '2024-10-21' }).success,
    ).toBe(true)
    expect(providerSettingsSchema('anthropic').safeParse({ defaultMaxTokens: 0 }).success).toBe(
      false,
    )
    expect(providerSettingsSchema('mock').safeParse({ completionTokns: 5 }).success).toBe(false)
    expect(providerSettingsSchema('openai').safeParse({}).success).toBe(true)
  })
})
