import type {
  BalanceHolds,
  BillingEnvironment,
  Hold,
  LedgerEntry,
  Micros,
  SettlementOutcome,
} from '../billing/index.js'
import { InsufficientQuotaError } from '../billing/index.js'
import {
  BudgetBlockedError,
  MonthlyLimitReachedError,
  decideBudget,
  hasMonthlyLimits,
  mostSevereDecision,
  type BudgetBook,
  type BudgetDecision,
  type BudgetPolicyRef,
  type LimitedScope,
  type MonthlyReservation,
  type SharedMonthTotals,
} from '../budgets/index.js'
import type { Clock } from '../lib/clock.js'
import type { RateLimits } from '../organizations/index.js'
import { maxCost, priceUsage, type EffectivePrice, type PriceBook } from '../pricing/index.js'
import { ZERO_USAGE, type TokenUsage } from '../providers/index.js'
import type { PlannedTarget } from '../routing/index.js'
import type { UsageDraft } from '../usage/index.js'
import { requestTokenBounds } from './estimate-tokens.js'
import type { GatewayEndpoint } from './gateway-endpoint.js'
import { createMonthToDate, monthOf, type MonthToDate } from './month-to-date.js'

/** An account's balance after an entry, for the threshold monitor (src/budgets). */
export interface ObservedBalance {
  organizationId: string
  environment: BillingEnvironment
  balanceMicros: Micros
  policy: BudgetPolicyRef
  /** The customer request whose settlement moved it; null for an admin posting or a job. */
  requestId: string | null
}

/** What metering needs from the rest of Ferry (built once in createServices). */
export interface RequestMeteringDeps {
  priceBook: Pick<PriceBook, 'priceFor'>
  budgetBook: Pick<BudgetBook, 'policiesFor'>
  holds: BalanceHolds
  clock: Clock
  /** Tells the threshold monitor the balance after a settlement; never awaited by a request. */
  observeBalance?: (input: ObservedBalance) => Promise<unknown>
  onBackgroundError?: (err: unknown) => void
  /** Output tokens held for a request that sets no limit. @default 4096 */
  holdWindowTokens?: number
  /**
   * Writes the usage event of a request that settles nothing (billing.recordUsage): resolves
   * once durable. Settled requests write theirs in the settlement's transaction.
   */
  recordUsage: (usage: UsageDraft, options?: { capReservationId?: string | null }) => Promise<void>
  /** Month-to-date totals for monthly caps (seeded at start). @default a fresh, empty one */
  monthToDate?: MonthToDate
  /**
   * Monthly caps counted in the database, shared by every process (`billing.holds: database`):
   * a scope with monthly limits reads its totals there and reserves each request on them with
   * its hold. Absent (one process): the in-process `monthToDate` decides alone.
   */
  sharedMonthTotals?: SharedMonthTotals
}

/** The caller's side of a request, as metering sees it. */
export interface MeteredCaller {
  organizationId: string
  keyId: string
  environment: BillingEnvironment
  requestId: string
}

/** How a metered request ended, as settlement needs it. */
export type MeteredEnd =
  | { outcome: 'not_dispatched' }
  | { outcome: 'upstream_failed_no_output' }
  /**
   * The client left a JSON request before the answer: the upstream call was cancelled with the
   * prompt already sent, so the counted input is charged (the client-abort rule), at `target`.
   */
  | { outcome: 'abandoned'; target: PlannedTarget }
  | {
      outcome: Exclude<SettlementOutcome, 'rejected_pre_dispatch' | 'upstream_failed_no_output'>
      usage: TokenUsage
      target: PlannedTarget
    }

/** A request admitted by its budget, with its hold (when the deployment is priced). */
export interface MeteredRequest {
  readonly decision: BudgetDecision
  /** The price table version(s) in force, or null on an unpriced deployment. */
  readonly priceVersion: string | null
  readonly heldMicros: Micros
  /**
   * How long placing the hold took (with its monthly cap reservation), in milliseconds; null
   * when nothing was held. For the access log: the ledger's share of the request's latency.
   */
  readonly holdMs: number | null
  /**
   * Output tokens the hold covers now, when the request set no limit and its hold is a window
   * (null otherwise: the hold already covers everything the request may produce).
   */
  coveredOutputTokens(): number | null
  /**
   * Hold one more window of output. False when the balance cannot cover it: the caller ends
   * the stream (what was delivered is still charged at settlement).
   */
  extendWindow(): Promise<boolean>
  /**
   * Settle by the outcome and record the usage event with it (one transaction): resolves once
   * both are durable (the caller sends the last byte after it), with the cost charged (null
   * when nothing was priced). Runs once.
   */
  settle(
    end: MeteredEnd,
    usage: UsageDraft | null,
  ): Promise<{ costMicros: Micros | null; entry: LedgerEntry | null }>
}

/** Per-minute limits a budget policy sets, beside the key's and organization's own. */
export interface PolicyRateLimits {
  key: RateLimits
  organization: RateLimits
}

export interface RequestMetering {
  /**
   * Record the usage event of a request that never opened metering (refused by a limit, a
   * budget, validation): resolves once durable.
   */
  record(usage: UsageDraft): Promise<void>
  /** The rate limits of the budget policies in force for this key and its organization. */
  rateLimitsFor(caller: { organizationId: string; keyId: string }): PolicyRateLimits
  /**
   * Price the planned targets, decide the budget, and hold the request's maximum cost. Throws
   * 429 `insufficient_quota` (with `x-should-retry: false`) when the budget blocks or the
   * balance cannot cover the hold; nothing is charged then.
   */
  open(input: {
    caller: MeteredCaller
    endpoint: GatewayEndpoint
    body: object
    targets: readonly PlannedTarget[]
    /** Plan again for a budget in `downgrade` state; the new targets are what gets held for. */
    downgrade?: () => readonly PlannedTarget[]
  }): Promise<MeteredRequest>
}

const priceKey = (target: PlannedTarget) => `${target.account.label}\u0000${target.model}`

/**
 * The money side of one `/v1` request (DESIGN lifecycle steps 4, 5 and 7). The hold covers the
 * most expensive target of the plan, so a fallback to a dearer model is still covered; the
 * charge is priced at the target that actually served.
 */
export function createRequestMetering(deps: RequestMeteringDeps): RequestMetering {
  const windowTokens = deps.holdWindowTokens ?? 4096
  const monthToDate: MonthToDate = deps.monthToDate ?? createMonthToDate(deps.clock)
  const onError = deps.onBackgroundError ?? (() => undefined)

  return {
    record: (usage) => deps.recordUsage(usage),
    rateLimitsFor: ({ organizationId, keyId }) => {
      const policies = deps.budgetBook.policiesFor({ organizationId, keyId })
      return {
        key: policies.key?.content.rateLimits ?? {},
        organization: policies.organization?.content.rateLimits ?? {},
      }
    },
    open: async ({ caller, endpoint, body, targets, downgrade }) => {
      const { organizationId, keyId } = caller
      // Counting the prompt is the costly step: only a priced deployment or a budget policy
      // needs it.
      let counted: ReturnType<typeof requestTokenBounds> | undefined
      const bounds = () => (counted ??= requestTokenBounds(endpoint, body, windowTokens))
      let priced = pricePlan({ priceBook: deps.priceBook, organizationId, targets, bounds })
      const { prices } = priced

      const policies = deps.budgetBook.policiesFor({ organizationId, keyId })
      const governed = prices.size > 0 || policies.key !== null || policies.organization !== null
      const estimatedTokens = governed
        ? BigInt(bounds().promptTokens + bounds().maxOutputTokens)
        : 0n
      const balanceMicros =
        prices.size > 0 ? await deps.holds.available(organizationId, caller.environment) : null
      const shared = deps.sharedMonthTotals
      const limited = shared === undefined ? [] : limitedScopes(policies, caller)
      // Only where totals are shared (several processes) is the month a key to look up.
      const month = limited.length > 0 ? monthOf(deps.clock.nowMs()) : ''
      const sharedTotals =
        shared !== undefined && limited.length > 0
          ? await shared.totals(
              month,
              limited.map((s) => s.scope),
            )
          : null
      const decide = (policy: BudgetPolicyRef | null, scope: string) =>
        decideBudget({
          policy,
          balanceMicros,
          monthToDate: sharedTotals?.get(scope) ?? monthToDate.totals(scope),
          estimatedCostMicros: priced.holdMicros,
          estimatedTokens,
        })
      const decision = mostSevereDecision([
        decide(policies.key, `key:${keyId}`),
        decide(policies.organization, `org:${organizationId}`),
      ])
      if (decision.decision === 'block') throw new BudgetBlockedError(decision.reason, decision)
      // The cheaper tier is what will be tried: hold for it (the decision stands as taken).
      if (decision.decision === 'downgrade' && downgrade !== undefined)
        priced = pricePlan({
          priceBook: deps.priceBook,
          organizationId,
          targets: downgrade(),
          bounds,
        })
      const { holdMicros } = priced
      const isPriced = priced.prices.size > 0
      // Several processes: the request's maximum cost and tokens are reserved on its scopes'
      // monthly totals in the hold's own transaction, so no two processes both fit one last
      // request under a cap.
      const reservation: MonthlyReservation | null =
        shared !== undefined && limited.length > 0
          ? shared.draft({
              month,
              scopes: limited,
              spendMicros: isPriced ? holdMicros : 0n,
              tokens: estimatedTokens,
            })
          : null
      const blockedBy = (err: unknown): unknown => {
        if (!(err instanceof MonthlyLimitReachedError)) return err
        const policy = err.scope.startsWith('key:') ? policies.key : policies.organization
        return new BudgetBlockedError(err.reason, {
          policyVersion: policy?.version ?? null,
          budgetPolicyId: policy?.budgetPolicyId ?? null,
        })
      }

      let hold: Hold | null = null
      let holdMs: number | null = null
      if (isPriced) {
        // performance.now(): sub-millisecond, and a duration, not an instant (no clock needed).
        const startedAt = performance.now()
        const placed = await deps.holds
          .place({
            organizationId,
            environment: caller.environment,
            amountMicros: holdMicros,
            requestId: caller.requestId,
            ...(shared !== undefined && reservation !== null
              ? { alongside: (trx) => shared.reserveIn(trx, reservation) }
              : {}),
          })
          .catch((err: unknown) => {
            throw blockedBy(err)
          })
        holdMs = performance.now() - startedAt
        if (!placed.ok) throw new InsufficientQuotaError()
        hold = placed
      } else if (shared !== undefined && reservation !== null)
        await shared.reserve(reservation).catch((err: unknown) => {
          throw blockedBy(err)
        })
      const capReservationId = reservation?.reservationId ?? null
      /** The usage event, which releases the reservation in its transaction; else release it. */
      const recordEnd = async (usage: UsageDraft | null) => {
        if (usage !== null) await deps.recordUsage(usage, { capReservationId })
        else if (shared !== undefined && capReservationId !== null)
          await shared.release(capReservationId)
      }

      let settled = false
      const priceVersion = [...priced.prices.values()][0]?.versionLabel ?? null
      const heldPrices = priced.prices
      const windowed = hold !== null && bounds().windowed
      let covered = windowed ? bounds().maxOutputTokens : 0
      let heldNow = holdMicros
      return {
        decision,
        priceVersion,
        holdMs,
        get heldMicros() {
          return heldNow
        },
        coveredOutputTokens: () => (windowed ? covered : null),
        extendWindow: async () => {
          if (!windowed || hold === null || settled) return false
          let windowCost = 0n
          for (const price of heldPrices.values()) {
            const cost = maxCost({ price, promptTokens: 0, maxOutputTokens: windowTokens })
            if (cost > windowCost) windowCost = cost
          }
          const extended = await hold
            .extend(
              windowCost,
              shared !== undefined && reservation !== null
                ? {
                    alongside: (trx) =>
                      shared.growIn(trx, {
                        reservation,
                        spendMicros: windowCost,
                        tokens: BigInt(windowTokens),
                      }),
                  }
                : {},
            )
            .catch((err: unknown) => {
              // A monthly limit reached mid-stream ends the stream like a spent balance.
              if (err instanceof MonthlyLimitReachedError) return null
              throw err
            })
          if (extended === null || !extended.ok) return false
          covered += windowTokens
          heldNow += windowCost
          return true
        },
        settle: async (given, givenUsage) => {
          if (settled) throw new Error('a metered request settles once')
          settled = true
          const { end, usage } = resolveAbandoned(given, givenUsage, () => bounds().promptTokens)
          if (hold === null) {
            if ('usage' in end) monthToDate.add(caller, { usage: end.usage, costMicros: 0n })
            await recordEnd(usage)
            return { costMicros: null, entry: null }
          }
          if (end.outcome === 'not_dispatched') {
            await deps.holds.release(hold)
            await recordEnd(usage)
            return { costMicros: 0n, entry: null }
          }
          if (end.outcome === 'upstream_failed_no_output') {
            // The waiver's face value: the counted input at the primary target's price (no
            // target served, so none is more right), what the client-abort rule would charge.
            const primary = heldPrices.values().next().value
            const entry = await deps.holds.settle({
              hold,
              outcome: 'upstream_failed_no_output',
              costMicros: 0n,
              inputCostMicros:
                primary === undefined
                  ? 0n
                  : inputCostOf(primary, { promptTokens: bounds().promptTokens, cachedTokens: 0 }),
              usage,
              capReservationId,
            })
            return { costMicros: 0n, entry }
          }
          const price = heldPrices.get(priceKey(end.target))
          // Every planned target was priced when the hold was placed; a target outside the
          // plan cannot serve.
          if (price === undefined) throw new Error('settling a target the plan did not price')
          const cost = priceUsage({ price, usage: end.usage })
          const entry = await deps.holds.settle({
            hold,
            outcome: end.outcome,
            costMicros: cost.costMicros,
            inputCostMicros: inputCostOf(price, end.usage),
            modelServed: end.target.model,
            details: {
              promptTokens: end.usage.promptTokens,
              cachedTokens: end.usage.cachedTokens,
              completionTokens: end.usage.completionTokens,
              reasoningTokens: end.usage.reasoningTokens,
              priceTableVersion: cost.versionLabel,
              budgetPolicyVersion: decision.policyVersion,
              budgetDecision: decision.decision,
            },
            usage,
            capReservationId,
          })
          const charged = entry === null ? 0n : -entry.amountMicros
          monthToDate.add(caller, { usage: end.usage, costMicros: charged > 0n ? charged : 0n })
          const policy = policies.organization
          if (entry !== null && policy !== null && deps.observeBalance)
            deps
              .observeBalance({
                organizationId,
                environment: entry.environment,
                balanceMicros: entry.balanceAfterMicros,
                policy,
                requestId: caller.requestId,
              })
              .catch(onError)
          return { costMicros: cost.costMicros, entry }
        },
      }
    },
  }
}

/** The price of a request's input alone (what the client-abort rule charges at least). */
function inputCostOf(
  price: EffectivePrice,
  usage: Pick<TokenUsage, 'promptTokens' | 'cachedTokens'>,
): Micros {
  return priceUsage({
    price,
    usage: {
      promptTokens: usage.promptTokens,
      cachedTokens: usage.cachedTokens,
      completionTokens: 0,
      reasoningTokens: 0,
    },
  }).costMicros
}

/** The request's budget scopes whose policy sets a monthly limit (key first, as decided). */
function limitedScopes(
  policies: { key: BudgetPolicyRef | null; organization: BudgetPolicyRef | null },
  caller: { organizationId: string; keyId: string },
): LimitedScope[] {
  const scopes: LimitedScope[] = []
  if (policies.key !== null && hasMonthlyLimits(policies.key.content))
    scopes.push({ scope: `key:${caller.keyId}`, policy: policies.key.content })
  if (policies.organization !== null && hasMonthlyLimits(policies.organization.content))
    scopes.push({ scope: `org:${caller.organizationId}`, policy: policies.organization.content })
  return scopes
}

type SettledEnd = Exclude<MeteredEnd, { outcome: 'abandoned' }>

/**
 * An abandoned JSON request settles as a client abort of its counted prompt (nothing was
 * delivered); its usage event then says the prompt count is Ferry's estimate.
 */
function resolveAbandoned(
  end: MeteredEnd,
  usage: UsageDraft | null,
  countPrompt: () => number,
): { end: SettledEnd; usage: UsageDraft | null } {
  if (end.outcome !== 'abandoned') return { end, usage }
  const promptTokens = countPrompt()
  return {
    end: {
      outcome: 'client_aborted',
      target: end.target,
      usage: { ...ZERO_USAGE, promptTokens },
    },
    usage:
      usage === null
        ? null
        : {
            ...usage,
            promptTokens,
            cachedTokens: 0,
            completionTokens: 0,
            reasoningTokens: 0,
            promptTokensSource: 'estimated',
            completionTokensSource: 'estimated',
          },
  }
}

/** Every planned target's price, and the hold that covers the dearest of them. */
function pricePlan(input: {
  priceBook: Pick<PriceBook, 'priceFor'>
  organizationId: string
  targets: readonly PlannedTarget[]
  bounds: () => { promptTokens: number; maxOutputTokens: number }
}): { prices: Map<string, EffectivePrice>; holdMicros: Micros } {
  const prices = new Map<string, EffectivePrice>()
  let holdMicros = 0n
  for (const target of input.targets) {
    const price = input.priceBook.priceFor({
      organizationId: input.organizationId,
      target: {
        providerAccount: target.account.label,
        providerKind: target.account.kind,
        model: target.model,
      },
    })
    if (price === null) continue
    prices.set(priceKey(target), price)
    const cost = maxCost({ price, ...input.bounds() })
    if (cost > holdMicros) holdMicros = cost
  }
  return { prices, holdMicros }
}
