import type { RoutePolicyDocument } from '../../api/models'

type Route = RoutePolicyDocument['routes'][string]
export type FailureCondition = Route['fallbackOn'][number]

/** Every failure condition routing knows (src/routing/route-policy.ts FAILURE_CONDITIONS). */
export const FAILURE_CONDITIONS = [
  'timeout',
  'connection_error',
  'rate_limited',
  'server_error',
  'bad_response',
  'account_error',
  'context_length',
  'content_filter',
] as const satisfies readonly FailureCondition[]
// And every one of them: a condition the server adds (it reaches FailureCondition through the
// generated API types) fails this line until the editor offers it too.
const everyConditionListed: Exclude<
  FailureCondition,
  (typeof FAILURE_CONDITIONS)[number]
> extends never
  ? true
  : never = true
void everyConditionListed

/** What the server falls back on when a route names nothing (DEFAULT_FALLBACK_ON). */
const DEFAULT_FALLBACK_ON: FailureCondition[] = [
  'timeout',
  'connection_error',
  'rate_limited',
  'server_error',
  'bad_response',
  'account_error',
]

export interface TargetDraft {
  provider: string
  model: string
  weight: string
  /** A target timeout, if any: kept as it was. */
  kept: Record<string, unknown>
}

/** One route as the structured editor holds it: text fields, plus what it does not edit. */
export interface RouteDraft {
  /** Stable React key (the name may change while typing). */
  id: number
  name: string
  aliases: string
  tier: string
  strategy: 'priority' | 'weighted'
  targets: TargetDraft[]
  fallbackOn: FailureCondition[]
  fallbackRoute: string
  /** Retry policy, tier routes, target timeouts: kept as they were (the JSON view edits them). */
  kept: Partial<Route>
}

export interface PolicyDraft {
  routes: RouteDraft[]
  defaultRoute: string
  /** Downgrade rules and anything else: kept as they were. */
  kept: Record<string, unknown>
}

let nextId = 1

export function emptyRoute(): RouteDraft {
  return {
    id: nextId++,
    name: '',
    aliases: '',
    tier: '',
    strategy: 'priority',
    targets: [emptyTarget()],
    fallbackOn: [...DEFAULT_FALLBACK_ON],
    fallbackRoute: '',
    kept: {},
  }
}

export function emptyTarget(): TargetDraft {
  return { provider: '', model: '', weight: '1', kept: {} }
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

/** A stored (or hand-written) policy → the editor's draft. */
export function draftOf(
  policy: Partial<RoutePolicyDocument> | Record<string, unknown>,
): PolicyDraft {
  const { routes, defaultRoute, ...kept } = policy as Partial<RoutePolicyDocument>
  return {
    defaultRoute: typeof defaultRoute === 'string' ? defaultRoute : '',
    kept,
    routes: Object.entries(routes ?? {}).map(([name, route]) => {
      const { aliases, tier, strategy, targets, fallbackOn, fallbackRoute, ...rest } =
        route as Partial<Route>
      return {
        id: nextId++,
        name,
        aliases: (aliases ?? []).join(', '),
        tier: tier ?? '',
        strategy: strategy ?? 'priority',
        targets: (targets ?? []).map(({ provider, model, weight, ...other }) => ({
          provider,
          model,
          weight: String(weight ?? 1),
          kept: other,
        })),
        fallbackOn: fallbackOn ?? [...DEFAULT_FALLBACK_ON],
        fallbackRoute: fallbackRoute ?? '',
        kept: rest,
      }
    }),
  }
}

/**
 * The editor's draft → the policy JSON to publish. Only shape is built here; the server
 * validates everything (names, references, weights) and its message is shown as it is.
 */
export function policyOf(draft: PolicyDraft): Record<string, unknown> {
  const routes: Record<string, unknown> = {}
  for (const route of draft.routes) {
    const name = route.name.trim()
    if (name === '') throw new Error('Every route needs a name (the model callers request).')
    if (Object.hasOwn(routes, name)) throw new Error(`Two routes are named “${name}”.`)
    routes[name] = {
      ...route.kept,
      aliases: list(route.aliases),
      ...(route.tier.trim() ? { tier: route.tier.trim() } : {}),
      strategy: route.strategy,
      targets: route.targets.map((t) => ({
        ...t.kept,
        provider: t.provider.trim(),
        model: t.model.trim(),
        weight: t.weight.trim() === '' ? 1 : Number(t.weight),
      })),
      fallbackOn: route.fallbackOn,
      ...(route.fallbackRoute.trim() ? { fallbackRoute: route.fallbackRoute.trim() } : {}),
    }
  }
  return {
    ...draft.kept,
    routes,
    ...(draft.defaultRoute.trim() ? { defaultRoute: draft.defaultRoute.trim() } : {}),
  }
}
