/**
 * Model routing: versioned route policies (schema, hash, diff, storage, audited publishing),
 * the in-memory resolver, `planRoute` (which targets, in what order, and why), provider health
 * (circuit breakers) and retry backoff. See docs/routing.md.
 */
export {
  BUDGET_STATES,
  DEFAULT_FALLBACK_ON,
  DEFAULT_ROUTE_KEYWORDS,
  FAILURE_CONDITIONS,
  RoutePolicyInputSchema,
  RoutePolicyScopeSchema,
  RouteSchema,
  RouteTargetSchema,
  DowngradeRuleSchema,
  RetryPolicySchema,
  parseRoutePolicy,
  summarizePolicy,
  type BudgetState,
  type DowngradeRule,
  type FailureCondition,
  type PolicyProblem,
  type RetryPolicy,
  type Route,
  type RoutePolicyDocument,
  type RoutePolicyScope,
  type RouteTarget,
} from './route-policy.js'
export { policyContentHash } from './policy-hash.js'
export { diffPolicies, type PolicyChange } from './policy-diff.js'
export {
  compilePolicy,
  type CompiledPolicy,
  type CompiledRoute,
  type CompiledTarget,
  type RoutePolicyVersion,
} from './compile-policy.js'
export {
  IMPLICIT_POLICY_VERSION,
  planRoute,
  weightedOrder,
  type DowngradeDecision,
  type ImplicitResolve,
  type PlanResult,
  type PlanRouteInput,
  type PlannedTarget,
  type RoutePlan,
  type RoutingPolicies,
  type SkippedTarget,
} from './plan-route.js'
export { countsAgainstHealth, failureConditionOf, retryAfterOf } from './failure-condition.js'
export { backoffMs } from './backoff.js'
export {
  DEFAULT_CIRCUIT_BREAKER,
  createProviderHealth,
  type CircuitBreakerSettings,
  type CircuitSnapshot,
  type CircuitState,
  type ProviderHealth,
} from './circuit-breaker.js'
export type { AttemptRecord, RoutingOutcome } from './routing-outcome.js'
export {
  NoAvailableTargetError,
  RouteNotFoundError,
  RoutePolicyNotFoundError,
  RoutePolicyUnchangedError,
} from './routing-errors.js'
export {
  CONFIG_FILE_ACTOR,
  createRoutePoliciesService,
  routePolicyView,
  type ConfigSyncResult,
  type ConfiguredRoutePolicies,
  type RoutePoliciesService,
  type RoutePoliciesServiceDeps,
  type RoutePolicyView,
} from './route-policies.service.js'
export {
  createRoutePolicyResolver,
  type RoutePolicyResolver,
  type RoutePolicyResolverOptions,
} from './route-policy-resolver.js'
export {
  createRoutingAdmin,
  type DryRunInput,
  type RouteDecision,
  type RoutingAdmin,
} from './routing-admin.js'
