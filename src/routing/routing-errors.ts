import { InvalidRequestError, NotFoundError, ServiceUnavailableError } from '../lib/errors.js'
import { ConflictError } from '../organizations/index.js'
import type { PolicyProblem } from './route-policy.js'

export class RoutePolicyNotFoundError extends NotFoundError {
  constructor(what: string) {
    super(`No route policy ${what}.`, { code: 'route_policy_not_found' })
  }
}

/** 404 for a granular change naming a route the current policy does not have. */
export class RouteNotFoundError extends NotFoundError {
  constructor(route: string, version: number) {
    super(`Route policy version ${version} has no route named '${route}'.`, {
      code: 'route_not_found',
      param: 'model',
    })
  }
}

/** 409: the published document is the current one already (same content hash). */
export class RoutePolicyUnchangedError extends ConflictError {
  constructor(version: number) {
    super(`The policy is identical to the current version ${version}; nothing to publish.`, {
      code: 'route_policy_unchanged',
    })
  }
}

/** 400 naming the first problem (`param` is its dotted path inside `policy`). */
export function invalidRoutePolicy(problems: readonly PolicyProblem[]): InvalidRequestError {
  const first = problems[0]
  return new InvalidRequestError(
    first
      ? `Invalid route policy at '${first.param}': ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''}`
      : 'Invalid route policy.',
    { param: first ? `policy.${first.param}` : 'policy', code: 'invalid_route_policy' },
  )
}

/**
 * 503: the route policy knows the model, but every target was skipped (providers missing or
 * their circuits open). Nothing was sent upstream.
 */
export class NoAvailableTargetError extends ServiceUnavailableError {
  constructor(model: string) {
    super(
      `No upstream for model '${model}' is available right now (every target is unhealthy or unavailable). Please retry later.`,
      { code: 'no_available_target' },
    )
  }
}
