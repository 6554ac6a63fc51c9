import type { Micros, SettlementOutcome } from '../billing/index.js'
import type { BudgetDecision } from '../budgets/index.js'
import { toIsoTimestamp } from '../lib/clock.js'
import type { TokenUsage, UsageSource, UpstreamInfo } from '../providers/index.js'
import type { RoutingOutcome } from '../routing/index.js'
import type { TokenSource, UsageDraft } from '../usage/index.js'

/** Who called, as the usage event names them (labels and IDs, never the secret). */
export interface UsageCaller {
  requestId: string
  organizationId: string
  keyId: string
  keyLabel: string
  environment: string
}

/** Everything the request path learned about one request, for its usage event. */
export interface UsageFacts {
  caller: UsageCaller
  /** `chat.completions`, `embeddings`, …, or the path for a request that named no model. */
  endpoint: string
  startedMs: number
  nowMs: number
  modelRequested: string | null
  routePolicyScope: string | null
  routePolicyVersion: string | null
  routing: RoutingOutcome | null
  budget: {
    decision: Pick<BudgetDecision, 'decision' | 'reason' | 'policyVersion' | 'budgetPolicyId'>
    priceVersion: string | null
    heldMicros: Micros
  } | null
  usage: TokenUsage | null
  usageSource: UsageSource | null
  settlementOutcome: SettlementOutcome | null
  httpStatus: number
  errorCode: string | null
  /** The serving upstream's answer (status and time to first byte), when one answered. */
  upstream: UpstreamInfo | null
  stream: { outcome: string | null; chunksDelivered: number } | null
}

/**
 * The usage event draft for one request: a pure mapping of what the gateway saw. Token counts
 * say where they came from; attempts keep provider, model, outcome and timing, never a payload.
 */
export function buildUsageDraft(facts: UsageFacts): UsageDraft {
  const { caller, routing, budget, usage } = facts
  const source: TokenSource = usage === null ? 'none' : (facts.usageSource ?? 'estimated')
  const tried = routing?.attempts.filter((a) => a.outcome !== 'skipped') ?? []
  const last = tried.at(-1)
  return {
    requestId: caller.requestId,
    startedAt: toIsoTimestamp(facts.startedMs),
    organizationId: caller.organizationId,
    keyId: caller.keyId,
    keyLabel: caller.keyLabel,
    environment: caller.environment,
    endpoint: facts.endpoint,
    modelRequested: facts.modelRequested,
    modelServed: routing?.modelServed ?? null,
    provider: routing?.provider ?? null,
    providerAccountId: routing?.providerAccountId ?? null,
    routePolicyScope: routing?.routePolicyScope ?? facts.routePolicyScope,
    routePolicyVersion: routing?.routePolicyVersion ?? facts.routePolicyVersion,
    route: routing?.route ?? null,
    fallbackReason: routing?.fallbackReason ?? null,
    downgradeReason: routing?.downgradeReason ?? null,
    budgetPolicyId: budget?.decision.budgetPolicyId ?? null,
    budgetPolicyVersion: budget?.decision.policyVersion ?? null,
    budgetDecision: budget?.decision.decision ?? null,
    budgetReason: budget?.decision.reason ?? null,
    priceTableVersion: budget?.priceVersion ?? null,
    promptTokens: usage?.promptTokens ?? 0,
    cachedTokens: usage?.cachedTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    promptTokensSource: source,
    completionTokensSource: source,
    heldMicros: budget?.heldMicros ?? 0n,
    settlementOutcome: facts.settlementOutcome,
    httpStatus: facts.httpStatus,
    upstreamStatus: facts.upstream?.status ?? last?.upstreamStatus ?? null,
    errorCode: facts.errorCode,
    attempts: tried.length,
    attemptsJson:
      routing === null || routing.attempts.length === 0
        ? null
        : JSON.stringify(
            routing.attempts.map((a) => ({
              provider: a.provider,
              model: a.model,
              route: a.route,
              attempt: a.attempt,
              outcome: a.outcome,
              condition: a.condition,
              errorCode: a.errorCode,
              upstreamStatus: a.upstreamStatus,
              latencyMs: Math.round(a.latencyMs),
            })),
          ),
    latencyMs: Math.max(0, Math.round(facts.nowMs - facts.startedMs)),
    upstreamTtfbMs: facts.upstream === null ? null : Math.max(0, Math.round(facts.upstream.ttfbMs)),
    stream: facts.stream !== null,
    streamOutcome: facts.stream?.outcome ?? null,
    chunksDelivered: facts.stream?.chunksDelivered ?? null,
  }
}
