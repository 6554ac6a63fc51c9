import type { ProviderAccount } from '../providers/index.js'

/** A model a caller may name, as `GET /v1/models` lists it. */
export interface CatalogModel {
  id: string
  ownedBy: string
  /** Unix seconds, for OpenAI's `created` field. */
  created: number
}

/** Where a public model name goes: the provider account and the model name it knows. */
export interface ResolvedModel {
  account: ProviderAccount
  upstreamModel: string
}

/**
 * The port between the customer API and whatever decides where a model is served (provider
 * accounts today, route policies later). `listModels` is what `GET /v1/models` shows;
 * `resolve` answers undefined for a model Ferry cannot serve.
 */
export interface ModelResolver {
  resolve(model: string): ResolvedModel | undefined
  listModels(): readonly CatalogModel[]
}

/** The account behind the built-in mock models (no credentials, no network). */
export const BUILTIN_MOCK_ACCOUNT: ProviderAccount = Object.freeze({
  id: 'builtin-mock',
  label: 'mock',
  kind: 'mock',
  baseUrl: 'mock://',
  credential: null,
})

/**
 * A resolver serving only the built-in mock provider: `mock`, `mock-<anything>` and `mock?knobs`
 * (docs/providers.md). The placeholder until the provider accounts' resolver is wired in.
 */
export function createBuiltinMockResolver(options: { createdAt?: number } = {}): ModelResolver {
  const created = options.createdAt ?? 1_767_225_600
  const models: CatalogModel[] = [
    { id: 'mock', ownedBy: 'ferry', created },
    { id: 'mock-embedding', ownedBy: 'ferry', created },
  ]
  return {
    resolve(model) {
      const base = model.split('?', 1)[0] ?? model
      if (base !== 'mock' && !base.startsWith('mock-')) return undefined
      return { account: BUILTIN_MOCK_ACCOUNT, upstreamModel: model }
    },
    listModels: () => models,
  }
}

/** Try each resolver in turn; lists are concatenated (first one wins on duplicate ids). */
export function combineModelResolvers(resolvers: readonly ModelResolver[]): ModelResolver {
  return {
    resolve(model) {
      for (const resolver of resolvers) {
        const found = resolver.resolve(model)
        if (found) return found
      }
      return undefined
    },
    listModels() {
      const seen = new Set<string>()
      const all: CatalogModel[] = []
      for (const resolver of resolvers)
        for (const model of resolver.listModels())
          if (!seen.has(model.id)) {
            seen.add(model.id)
            all.push(model)
          }
      return all
    },
  }
}
