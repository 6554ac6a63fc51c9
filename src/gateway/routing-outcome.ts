import type { AttemptRecord, PlannedTarget, RoutePlan, RoutingOutcome } from '../routing/index.js'

const targetName = (t: { provider: string; model: string }) => `${t.provider}/${t.model}`

/**
 * The request's routing record from its plan and the attempts made: what was asked for, what
 * served, under which policy version, and why a fallback or downgrade happened (in words short
 * enough for a log line, with the attempts as data).
 */
export function toRoutingOutcome(input: {
  requestedModel: string
  plan: RoutePlan
  attempts: AttemptRecord[]
  served: PlannedTarget | null
}): RoutingOutcome {
  const { plan, attempts, served } = input
  const failures = attempts.filter((a) => a.outcome !== 'success')
  const skipped = plan.skipped.map((s) => `${targetName(s)} skipped (${s.reason})`)
  const tried = failures.map((a) =>
    a.outcome === 'skipped'
      ? `${targetName(a)} skipped (circuit_open)`
      : `${targetName(a)} ${a.condition ?? a.errorCode ?? 'failed'}`,
  )
  const reasons = [...skipped, ...tried]
  let fallbackReason: string | null = null
  if (served === null)
    fallbackReason = reasons.length > 0 ? `no target served: ${reasons.join('; ')}` : null
  else if (reasons.length > 0)
    fallbackReason = `${reasons.join('; ')}; served by ${targetName(served)}`
  const d = plan.downgrade
  const downgradeReason =
    d !== null
      ? `budget state ${d.budgetState}: ${d.fromRoute}${d.fromTier === null ? '' : ` (${d.fromTier})`} → ${d.toRoute} (${d.toTier})`
      : plan.downgradeUnavailable
  return {
    modelRequested: input.requestedModel,
    modelServed: served?.model ?? null,
    provider: served?.provider ?? null,
    providerAccountId: served?.providerAccountId ?? null,
    routePolicyVersion: plan.version,
    routePolicyScope: plan.policyScope,
    route: plan.route,
    tier: d?.toTier ?? plan.tier,
    downgrade: d,
    downgradeReason,
    fallbackReason,
    attempts,
    status: served === null ? 'failed' : 'served',
  }
}

/** The routing fields of the request's access line (scalars only). */
export function routingLogFields(outcome: RoutingOutcome): Record<string, string | number | null> {
  return {
    modelRequested: outcome.modelRequested,
    modelServed: outcome.modelServed,
    provider: outcome.provider,
    routePolicyVersion: outcome.routePolicyVersion,
    ...(outcome.route === null ? {} : { route: outcome.route }),
    routeAttempts: outcome.attempts.filter((a) => a.outcome !== 'skipped').length,
    ...(outcome.fallbackReason === null ? {} : { fallbackReason: outcome.fallbackReason }),
    ...(outcome.downgradeReason === null ? {} : { downgradeReason: outcome.downgradeReason }),
  }
}
