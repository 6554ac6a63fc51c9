import type { ProviderAccount } from '../providers/index.js'
import {
  isModelPrefix,
  type ProviderAccountSource,
  type ProviderAccountStatus,
} from './provider-account.js'

/** An account as model resolution needs it: adapter-ready (credential decrypted) plus its models. */
export interface RoutableAccount {
  /** Frozen, built once per load: adapters cache parsed settings per object. */
  readonly account: ProviderAccount
  readonly name: string
  readonly models: readonly string[]
  readonly aliases: Readonly<Record<string, string>>
  readonly status: ProviderAccountStatus
  readonly source: ProviderAccountSource
  readonly createdAtMs: number
}

/** Where a requested model goes: the account and the model name to send upstream. */
export interface ResolvedModel {
  readonly account: ProviderAccount
  readonly upstreamModel: string
  /** How the name matched, for logs and support. */
  readonly matchedBy: 'exact' | 'alias' | 'prefix'
}

/** A model `GET /v1/models` lists (the shape of the HTTP layer's ModelCatalog). */
export interface ListedModel {
  readonly id: string
  /** The provider account's name. */
  readonly ownedBy: string
  /** Unix seconds: when the account was created. */
  readonly created: number
}

/** The in-memory lookup built from every account at each (re)load. */
export interface ModelTable {
  readonly exact: ReadonlyMap<string, RoutableAccount>
  readonly aliases: ReadonlyMap<string, { holder: RoutableAccount; target: string }>
  /** Longest prefix first; among equal lengths, in account precedence order. */
  readonly prefixes: readonly { prefix: string; holder: RoutableAccount }[]
  readonly listed: readonly ListedModel[]
}

/** Database accounts before config ones; then the oldest first (config: declaration order). */
function byPrecedence(accounts: readonly RoutableAccount[]): RoutableAccount[] {
  const rank = (a: RoutableAccount) => (a.source === 'database' ? 0 : 1)
  return accounts
    .map((account, index) => ({ account, index }))
    .sort(
      (a, b) =>
        rank(a.account) - rank(b.account) ||
        (a.account.source === 'database' ? a.account.createdAtMs - b.account.createdAtMs : 0) ||
        a.index - b.index,
    )
    .map(({ account }) => account)
}

/**
 * Index the active accounts' models. Disabled accounts are left out. For one requested name the
 * first registration wins, in precedence order (database accounts first, then the oldest).
 */
export function buildModelTable(accounts: readonly RoutableAccount[]): ModelTable {
  const exact = new Map<string, RoutableAccount>()
  const aliases = new Map<string, { holder: RoutableAccount; target: string }>()
  const prefixes: { prefix: string; holder: RoutableAccount; order: number }[] = []
  const ordered = byPrecedence(accounts.filter((a) => a.status === 'active'))
  ordered.forEach((holder, order) => {
    for (const entry of holder.models) {
      if (isModelPrefix(entry)) prefixes.push({ prefix: entry.slice(0, -1), holder, order })
      else if (!exact.has(entry)) exact.set(entry, holder)
    }
    for (const [alias, target] of Object.entries(holder.aliases)) {
      if (!aliases.has(alias)) aliases.set(alias, { holder, target })
    }
  })
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length || a.order - b.order)
  const listed = new Map<string, ListedModel>()
  const list = (id: string, holder: RoutableAccount) => {
    if (!listed.has(id))
      listed.set(id, {
        id,
        ownedBy: holder.name,
        created: Math.floor(holder.createdAtMs / 1000),
      })
  }
  // Exact names before aliases, so a listed model shows the account that would serve it.
  for (const [id, holder] of exact) list(id, holder)
  for (const [id, { holder }] of aliases) list(id, holder)
  return {
    exact,
    aliases,
    prefixes: prefixes.map(({ prefix, holder }) => ({ prefix, holder })),
    listed: [...listed.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  }
}

/**
 * Resolve a requested model: an exact model name, else an alias (sent upstream as its target),
 * else the longest matching prefix pattern. Undefined when no active account serves it.
 * @example resolveModel(table, 'gpt-4o-mini') // { account: openai, upstreamModel: 'gpt-4o-mini', matchedBy: 'prefix' }
 */
export function resolveModel(table: ModelTable, model: string): ResolvedModel | undefined {
  const exact = table.exact.get(model)
  if (exact !== undefined)
    return { account: exact.account, upstreamModel: model, matchedBy: 'exact' }
  const alias = table.aliases.get(model)
  if (alias !== undefined)
    return { account: alias.holder.account, upstreamModel: alias.target, matchedBy: 'alias' }
  for (const { prefix, holder } of table.prefixes) {
    if (model.startsWith(prefix))
      return { account: holder.account, upstreamModel: model, matchedBy: 'prefix' }
  }
  return undefined
}

/** The table of no accounts. */
export const EMPTY_MODEL_TABLE: ModelTable = buildModelTable([])
