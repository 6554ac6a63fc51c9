import type { FailureCondition } from './route-policy.js'
import type { DowngradeDecision } from './plan-route.js'

/** One upstream attempt (or a target skipped at attempt time), in the order they happened. */
export interface AttemptRecord {
  provider: string
  providerAccountId: string
  /** The model sent upstream. */
  model: string
  /** The route the target belongs to; null for the implicit policy. */
  route: string | null
  /** 1 for the first try of this target, 2 for its first retry, … */
  attempt: number
  outcome: 'success' | 'failure' | 'skipped'
  /** Why it failed, as routing classifies it; null on success or for a non-routable failure. */
  condition: FailureCondition | null
  /** Ferry's error code for the failure (`upstream_timeout`, …) or `circuit_open` when skipped. */
  errorCode: string | null
  upstreamStatus: number | null
  /** From the call to the answer (streams: to the first item), by the gateway's clock. */
  latencyMs: number
  /** What the gateway did next: the same target again, the next target, or nothing. */
  next: 'retry' | 'fallback' | 'stop' | null
}

/**
 * Where a request went and why: the record support reads ("why did I get model B?") and
 * settlement writes onto the usage row. Built once per request by the gateway.
 */
export interface RoutingOutcome {
  modelRequested: string
  /** The upstream model that served; null when nothing did. */
  modelServed: string | null
  /** The provider account's name that served; null when nothing did. */
  provider: string | null
  providerAccountId: string | null
  /** The route policy version resolved at the request's start (`'0'`: implicit). */
  routePolicyVersion: string
  routePolicyScope: 'implicit' | 'global' | 'organization'
  route: string | null
  tier: string | null
  downgrade: DowngradeDecision | null
  /** Why the request was served at a lower tier, in a short sentence; null when it was not. */
  downgradeReason: string | null
  /** Why a target other than the first planned one served (or none did); null otherwise. */
  fallbackReason: string | null
  attempts: AttemptRecord[]
  status: 'served' | 'failed'
}
