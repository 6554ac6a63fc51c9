import type { ZodType } from 'zod'
import { routePolicyView, type Route, type RoutePolicyDocument } from '../../routing/index.js'
import { RouteNotFoundError } from '../../routing/index.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import { toListPage } from './list-page.js'
import { listPageResponse } from './wire.schemas.js'
import {
  CurrentRoutePolicyResponse,
  DefaultRouteBody,
  DiffQuery,
  DowngradeRulesBody,
  DryRunQuery,
  FallbackBody,
  ListRoutePoliciesQuery,
  ProviderHealthResponse,
  PublishRoutePolicyBody,
  RouteDecisionResponse,
  RoutePolicyDiffResponse,
  RoutePolicyResponse,
  RoutePolicyRouteParams,
  RoutePolicyScopeParams,
  RoutePolicyVersionParams,
  TierBody,
  TargetsBody,
} from './route-policies.schemas.js'

export const listRoutePoliciesRoute = adminRoute({
  method: 'GET',
  url: '/route-policies',
  summary: 'List route policy versions, newest first (optionally of one scope)',
  permission: 'routing.read',
  readOnly: true,
  query: ListRoutePoliciesQuery,
  response: listPageResponse(RoutePolicyResponse),
  handler: async ({ query, services }) =>
    toListPage(
      (
        await services.routing.policies.list({
          limit: query.limit + 1,
          ...(query.scope ? { scope: query.scope } : {}),
          ...(query.after !== undefined ? { before: query.after } : {}),
        })
      ).map(routePolicyView),
      { limit: query.limit, cursorOf: (v) => String(v.version) },
    ),
})

export const diffRoutePoliciesRoute = adminRoute({
  method: 'GET',
  url: '/route-policies/diff',
  summary: 'What changed between two route policy versions',
  permission: 'routing.read',
  readOnly: true,
  query: DiffQuery,
  response: RoutePolicyDiffResponse,
  handler: async ({ query, services }) => {
    const diff = await services.routing.policies.diff(query.from, query.to)
    return {
      object: 'route_policy_diff',
      from: {
        version: diff.from.version,
        scope: diff.from.scope,
        contentHash: diff.from.contentHash,
      },
      to: { version: diff.to.version, scope: diff.to.scope, contentHash: diff.to.contentHash },
      changes: diff.changes,
    }
  },
})

export const dryRunRouteRoute = adminRoute({
  method: 'GET',
  url: '/route-policies/dry-run',
  summary:
    'For an organization (or key) and model: which target would serve and why, without calling upstream',
  permission: 'routing.read',
  readOnly: true,
  query: DryRunQuery,
  response: RouteDecisionResponse,
  handler: ({ query, services }) => services.routing.dryRun(query),
})

export const currentRoutePolicyRoute = adminRoute({
  method: 'GET',
  url: '/route-policies/scopes/:scope',
  summary: 'The route policy version in force for a scope (`global` or an organization id)',
  permission: 'routing.read',
  readOnly: true,
  params: RoutePolicyScopeParams,
  response: CurrentRoutePolicyResponse,
  handler: async ({ params, services }) => {
    const current = await services.routing.policies.current(params.scope)
    return current === null
      ? { object: 'route_policy', scope: params.scope, version: null, policy: null }
      : routePolicyView(current)
  },
})

export const getRoutePolicyRoute = adminRoute({
  method: 'GET',
  url: '/route-policies/:version',
  summary: 'One route policy version (readable forever)',
  permission: 'routing.read',
  readOnly: true,
  params: RoutePolicyVersionParams,
  response: RoutePolicyResponse,
  handler: async ({ params, services }) =>
    routePolicyView(await services.routing.policies.get(params.version)),
})

export const publishRoutePolicyRoute = adminRoute({
  method: 'POST',
  url: '/route-policies',
  summary: 'Publish a route policy as the next version of its scope (reason required)',
  permission: 'routing.write',
  action: 'route_policy.publish_production',
  body: PublishRoutePolicyBody,
  successStatus: 201,
  response: RoutePolicyResponse,
  handler: async ({ body, services, audit }) =>
    routePolicyView(await services.routing.policies.publish(audit, body)),
})

export const rollbackRoutePolicyRoute = adminRoute({
  method: 'POST',
  url: '/route-policies/:version/rollback',
  summary: 'Publish an old version again as the next version of its scope (reason required)',
  permission: 'routing.write',
  action: 'route_policy.rollback',
  params: RoutePolicyVersionParams,
  successStatus: 201,
  response: RoutePolicyResponse,
  handler: async ({ params, services, audit }) =>
    routePolicyView(await services.routing.policies.rollback(audit, { version: params.version })),
})

/** The route a granular change edits; 404 when the current policy has none of that name. */
function routeIn(policy: RoutePolicyDocument, model: string, version: number | undefined): Route {
  const route = policy.routes[model]
  if (route === undefined) throw new RouteNotFoundError(model, version ?? 0)
  return route
}

function amendRoute<TBody>(spec: {
  url: string
  summary: string
  action: 'route.provider_preference_update' | 'route.fallback_update' | 'route.model_tier_update'
  body: ZodType<TBody>
  apply: (route: Route, body: TBody) => Route
}): AdminRoute {
  return adminRoute({
    method: 'PUT',
    url: spec.url,
    summary: spec.summary,
    permission: 'routing.write',
    action: spec.action,
    params: RoutePolicyRouteParams,
    body: spec.body,
    successStatus: 201,
    response: RoutePolicyResponse,
    handler: async ({ params, body, services, audit }) =>
      routePolicyView(
        await services.routing.policies.amend(audit, {
          scope: params.scope,
          action: spec.action,
          change: (policy, current) => {
            const route = routeIn(policy, params.model, current?.version)
            return {
              ...policy,
              routes: { ...policy.routes, [params.model]: spec.apply(route, body) },
            }
          },
        }),
      ),
  })
}

function amendScope<TBody>(spec: {
  url: string
  summary: string
  action: 'route.default_update' | 'route.downgrade_rule_update'
  body: ZodType<TBody>
  apply: (policy: RoutePolicyDocument, body: TBody) => RoutePolicyDocument
}): AdminRoute {
  return adminRoute({
    method: 'PUT',
    url: spec.url,
    summary: spec.summary,
    permission: 'routing.write',
    action: spec.action,
    params: RoutePolicyScopeParams,
    body: spec.body,
    successStatus: 201,
    response: RoutePolicyResponse,
    handler: async ({ params, body, services, audit }) =>
      routePolicyView(
        await services.routing.policies.amend(audit, {
          scope: params.scope,
          action: spec.action,
          change: (policy) => spec.apply(policy, body),
        }),
      ),
  })
}

export const setDefaultRouteRoute = amendScope({
  url: '/route-policies/scopes/:scope/default-route',
  summary: 'Change the default route of a scope (publishes a new version)',
  action: 'route.default_update',
  body: DefaultRouteBody,
  apply: (policy, body) => ({ ...policy, defaultRoute: body.defaultRoute }),
})

export const setDowngradeRulesRoute = amendScope({
  url: '/route-policies/scopes/:scope/downgrade-rules',
  summary: 'Replace the downgrade rules of a scope (publishes a new version)',
  action: 'route.downgrade_rule_update',
  body: DowngradeRulesBody,
  apply: (policy, body) => ({ ...policy, downgradeRules: body.downgradeRules }),
})

export const setRouteTargetsRoute = amendRoute({
  url: '/route-policies/scopes/:scope/routes/:model/targets',
  summary: "Change a route's targets, weights and strategy: provider preference (new version)",
  action: 'route.provider_preference_update',
  body: TargetsBody,
  apply: (route, body) => ({
    ...route,
    targets: body.targets,
    ...(body.strategy ? { strategy: body.strategy } : {}),
  }),
})

export const setRouteFallbackRoute = amendRoute({
  url: '/route-policies/scopes/:scope/routes/:model/fallback',
  summary: "Change a route's fallback conditions, fallback route and retry policy (new version)",
  action: 'route.fallback_update',
  body: FallbackBody,
  apply: (route, body) => {
    const next: Route = { ...route }
    if (body.fallbackOn !== undefined) next.fallbackOn = body.fallbackOn
    if (body.retry !== undefined) next.retry = body.retry
    if (body.fallbackRoute === null) delete next.fallbackRoute
    else if (body.fallbackRoute !== undefined) next.fallbackRoute = body.fallbackRoute
    return next
  },
})

export const setRouteTierRoute = amendRoute({
  url: '/route-policies/scopes/:scope/routes/:model/tier',
  summary: "Change a route's tier and its routes for other tiers (new version)",
  action: 'route.model_tier_update',
  body: TierBody,
  apply: (route, body) => {
    const next: Route = { ...route }
    if (body.tier === null) delete next.tier
    else if (body.tier !== undefined) next.tier = body.tier
    if (body.tierRoutes !== undefined) next.tierRoutes = body.tierRoutes
    return next
  },
})

export const providerHealthRoute = adminRoute({
  method: 'GET',
  url: '/provider-health',
  summary: "Each provider account's circuit breaker as this instance sees it",
  permission: 'providers.read',
  readOnly: true,
  response: ProviderHealthResponse,
  handler: ({ services }) =>
    Promise.resolve({
      object: 'list',
      data: services.routing.healthSnapshot().map((c) => ({
        ...c,
        openedAt: c.openedAtMs === null ? null : new Date(c.openedAtMs).toISOString(),
        retryAt: c.retryAtMs === null ? null : new Date(c.retryAtMs).toISOString(),
      })),
    }),
})

export const ROUTE_POLICY_ROUTES: readonly AdminRoute[] = [
  listRoutePoliciesRoute,
  diffRoutePoliciesRoute,
  dryRunRouteRoute,
  currentRoutePolicyRoute,
  getRoutePolicyRoute,
  publishRoutePolicyRoute,
  rollbackRoutePolicyRoute,
  setDefaultRouteRoute,
  setDowngradeRulesRoute,
  setRouteTargetsRoute,
  setRouteFallbackRoute,
  setRouteTierRoute,
  providerHealthRoute,
]
