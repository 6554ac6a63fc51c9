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
