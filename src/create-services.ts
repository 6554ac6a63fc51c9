import { createAdminServices, type AdminAuthPolicy } from './admins/index.js'
import {
  createAuditCheckpointer,
  createAuditLog,
  createAuditService,
  createAuditSigner,
} from './audit/index.js'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from './config/resolve-provider-accounts.js'
import type { AdminApiServices } from './http/admin/admin-api-services.js'
import { createOrganizationSummaries } from './organizations/organization-summaries.service.js'
import type { CacheInvalidation } from './invalidation/index.js'
import {
  createKeyAuthenticator,
  createKeyCache,
  createKeysService,
  invalidateKeyCache,
  type AuthenticatedKey,
} from './keys/index.js'
import type { Clock } from './lib/clock.js'
import { createOrganizationsService } from './organizations/index.js'
import {
  createCredentialCipher,
  createModelResolver,
  createProviderAccountsService,
  toConfiguredAccounts,
  type ConfiguredAccountInput,
} from './provider-accounts/index.js'
import { createProviderRegistry, type UpstreamAddressPolicy } from './providers/index.js'
import type { Random } from './lib/random.js'
import { createRoutingAdmin, type CircuitBreakerSettings } from './routing/index.js'
import { createPriceBook, createPricingService, type PriceTarget } from './pricing/index.js'
import {
  createBudgetBook,
  createBudgetPoliciesService,
  createSharedMonthTotals,
  createThresholdEvents,
  createWebhookSender,
} from './budgets/index.js'
import {
  DEFAULT_BILLING_SETTINGS,
  billingSettingsFrom,
  createBilling,
  findCommittedBalance,
  type BillingConfig,
  type LedgerEntry,
} from './billing/index.js'
import {
  createMonthToDate,
  createRequestMetering,
  seedMonthToDate,
  type ObservedBalance,
} from './gateway/index.js'
import { createOutboxService, enabledOutboxTopics, type OutboxTopic } from './outbox/index.js'
import { createEvidenceService } from './evidence/index.js'
import { deriveKey } from './secrets/derive-key.js'
import { createRequestLogWriter, createRequestLogsService } from './request-logs/index.js'
import type { Db } from './storage/index.js'
import { createUsageService, enqueueUsageEvents, type UsageEventsTable } from './usage/index.js'

export interface ServicesDeps {
  db: Db
  clock: Clock
  masterKey: Buffer
  invalidation: CacheInvalidation
  adminPolicy?: Partial<AdminAuthPolicy>
  /** `config.providerAccounts`: read-only accounts served from memory. @default the built-in mock */
  providerAccounts?: readonly ConfiguredAccountInput[]
  /**
   * `config.providers.allowPrivateBaseUrls` / `allowedBaseUrlHosts`: the SSRF guard on provider
   * base URLs, at admin write time, config load and every upstream connection.
   * @default private addresses allowed, link-local and metadata refused
   */
  upstreamAddresses?: UpstreamAddressPolicy
  /** `config.routing.circuitBreaker`. @default DEFAULT_CIRCUIT_BREAKER */
  circuitBreaker?: Partial<CircuitBreakerSettings>
  /** Draws weighted route orders and retry jitter. @default Math.random */
  routingRandom?: Random
  /** Hears a provider circuit opening or closing (logged at warn by main.ts). */
  onCircuitChange?: (change: { provider: string; from: string; to: string }) => void
  /** Hears about background problems (a model table reload that failed, an unreadable credential). */
  onBackgroundError?: (err: unknown) => void
  /** `config.budgets`: where threshold crossings are POSTed. @default no webhook */
  budgets?: { webhookUrl?: string; webhookTimeoutMs?: number; webhookMaxAttempts?: number }
  /** `config.billing` (currency, hold strategy, approval threshold). @default the defaults */
  billing?: BillingConfig
  /**
   * The SQLite file settlement batches may be written on from a thread of their own
   * (`billing.settlementThread`); the long-running gateway offers it, tests and the CLI do not.
   */
  settlementThread?: { path: string; busyTimeoutMs?: number; onFailure: (err: unknown) => void }
  /**
   * False: billing does not sweep (reap holds, expire credits) on its own timer; main.ts runs
   * `billing.sweep()` under the job runner instead. @default true
   */
  billingPeriodicSweep?: boolean
  /**
   * `config.webhooks`: with a URL, audit (and usage) events are enqueued in the outbox in their
   * own transactions; main.ts runs the delivery worker. @default no webhook: nothing enqueued
   */
  webhooks?: { url?: string | undefined; topics: readonly OutboxTopic[] }
  /** `config.requestLogs.flushIntervalMs`: how long captured content waits for its batch. @default 1000 */
  requestLogFlushIntervalMs?: number
}

/**
 * Every domain service, wired once: the composition root (main.ts) and the test app build the
 * same graph, so tests exercise what production runs. Subscribes the key cache to the
 * invalidation transport; `stop()` unsubscribes.
 */
export function createServices(deps: ServicesDeps) {
  const { db, clock, masterKey, invalidation } = deps
  // Decided once: without a webhook nothing is enqueued, so the outbox cannot grow unsent.
  const outboxTopics = enabledOutboxTopics(deps.webhooks ?? { topics: [] })
  const auditLog = createAuditLog({ db, clock, outbox: outboxTopics.has('audit') })
  const hashKey = deriveKey(masterKey, 'api-key-hash')
  const organizations = createOrganizationsService({ db, auditLog, clock, invalidation })
  const keys = createKeysService({ db, auditLog, clock, invalidation, hashKey })
  const onError = deps.onBackgroundError ? { onError: deps.onBackgroundError } : {}
  const addressPolicy = deps.upstreamAddresses ? { addressPolicy: deps.upstreamAddresses } : {}
  const providerAccounts = createProviderAccountsService({
    db,
    auditLog,
    clock,
    invalidation,
    cipher: createCredentialCipher(masterKey),
    ...addressPolicy,
    // Throws a ConfigError listing every bad configured account: the gateway does not start.
    configured: toConfiguredAccounts(deps.providerAccounts ?? [BUILTIN_MOCK_PROVIDER_ACCOUNT], {
      nowMs: clock.nowMs(),
      ...addressPolicy,
    }),
    afterChange: () => modelResolver.reload(),
    ...onError,
  })
  const modelResolver = createModelResolver({
    loadAccounts: providerAccounts.loadRoutableAccounts,
    invalidation,
    ...onError,
  })
  // Every (account, upstream model) served now: a base price table must price each of them.
  const servedModels = (): PriceTarget[] =>
    modelResolver.listModels().flatMap((listed) => {
      const resolved = modelResolver.resolve(listed.id)
      return resolved
        ? [
            {
              providerAccount: resolved.account.label,
              providerKind: resolved.account.kind,
              model: resolved.upstreamModel,
            },
          ]
        : []
    })
  const pricing = createPricingService({
    db,
    auditLog,
    clock,
    invalidation,
    servedModels,
    afterChange: () => priceBook.reload(),
  })
  const priceBook = createPriceBook({
    loadSnapshot: pricing.loadSnapshot,
    invalidation,
    ...onError,
  })
  const budgetPolicies = createBudgetPoliciesService({
    db,
    auditLog,
    clock,
    invalidation,
    afterChange: () => budgetBook.reload(),
  })
  const budgetBook = createBudgetBook({
    loadCurrent: budgetPolicies.loadCurrent,
    invalidation,
    ...onError,
  })
  const webhookUrl = deps.budgets?.webhookUrl
  const thresholdEvents = createThresholdEvents({
    db,
    auditLog,
    clock,
    // Crossings are of the live balance (observeBalance below).
    currentBalance: (tx, organizationId) =>
      findCommittedBalance(tx, { organizationId, environment: 'live' }),
    webhook: webhookUrl
      ? createWebhookSender({
          url: webhookUrl,
          signingKey: deriveKey(masterKey, 'webhook-signing'),
          nowMs: () => clock.nowMs(),
          ...(deps.budgets?.webhookTimeoutMs !== undefined
            ? { timeoutMs: deps.budgets.webhookTimeoutMs }
            : {}),
          ...(deps.budgets?.webhookMaxAttempts !== undefined
            ? { maxAttempts: deps.budgets.webhookMaxAttempts }
            : {}),
          ...onError,
        })
      : null,
  })
  /**
   * A balance after an entry against the organization policy's thresholds: settlements (the
   * request path) and admin postings and credit expiry (below) alike. Crossings are of the live
   * prepaid balance: test traffic has its own account, and one threshold state per organization
   * cannot follow two balances.
   */
  const observeBalance = async ({ policy, environment, ...observed }: ObservedBalance) =>
    environment === 'live'
      ? thresholdEvents.observe({
          ...observed,
          thresholds: policy.content.thresholds,
          policy: { budgetPolicyId: policy.budgetPolicyId, version: policy.version },
        })
      : []
  async function observeAdminPosting(entry: LedgerEntry): Promise<void> {
    await budgetBook.ready()
    const policy = budgetBook.policiesFor({
      organizationId: entry.organizationId,
      keyId: null,
    }).organization
    if (policy === null) return
    await observeBalance({
      organizationId: entry.organizationId,
      environment: entry.environment,
      balanceMicros: entry.balanceAfterMicros,
      policy,
      // An admin's action (a refund cites a request it did not make): no customer request.
      requestId: null,
    })
  }
  const routing = createRoutingAdmin({
    db,
    auditLog,
    clock,
    invalidation,
    ...(deps.circuitBreaker ? { circuitBreaker: deps.circuitBreaker } : {}),
    ...(deps.onCircuitChange ? { onCircuitChange: deps.onCircuitChange } : {}),
    ...(deps.routingRandom ? { random: deps.routingRandom } : {}),
    providerNames: async () => new Set((await providerAccounts.list()).map((a) => a.name)),
    loadAccounts: async () =>
      new Map(
        (await providerAccounts.loadRoutableAccounts())
          .filter((a) => a.status === 'active')
          .map((a) => [a.name, a.account]),
      ),
    implicit: (model) => modelResolver.resolve(model),
    findKey: (keyId) => keys.get(keyId),
    ...onError,
  })
  const keyCache = createKeyCache<AuthenticatedKey>({ clock })
  const unsubscribe = invalidation.subscribe((message) => invalidateKeyCache(keyCache, message))
  const billingSettings = {
    ...DEFAULT_BILLING_SETTINGS,
    ...(deps.billing ? billingSettingsFrom(deps.billing) : {}),
  }
  // Several processes (stored holds): monthly caps are counted in the database, each request
  // reserved on them with its hold. One process keeps its in-memory month-to-date.
  const sharedMonthTotals =
    billingSettings.holds === 'database'
      ? createSharedMonthTotals({ db, clock, reservationTtlMs: billingSettings.holdTtlMs })
      : undefined
  const enqueueUsage = outboxTopics.has('usage')
    ? (trx: Db, rows: readonly UsageEventsTable[]) => enqueueUsageEvents(trx, rows, clock)
    : undefined
  const billing = createBilling({
    db,
    auditLog,
    clock,
    // Admin postings and credit expiry move balances too: a crossing they cause is recorded
    // now, not at the next settlement (which a balance below the block threshold never has).
    onLedgerPosted: (entry) => {
      observeAdminPosting(entry).catch((err: unknown) => deps.onBackgroundError?.(err))
    },
    ...(deps.billing ? { settings: billingSettingsFrom(deps.billing) } : {}),
    ...(deps.billingPeriodicSweep === false ? { periodicSweep: false } : {}),
    ...(deps.settlementThread
      ? { settlementThread: { ...deps.settlementThread, usageOutbox: enqueueUsage !== undefined } }
      : {}),
    ...onError,
    ...(sharedMonthTotals !== undefined || enqueueUsage !== undefined
      ? {
          onUsageRows: async (
            trx: Db,
            rows: readonly UsageEventsTable[],
            capReservationIds: readonly string[],
          ) => {
            // The settlement's transaction: the batch's usage counts toward the monthly caps
            // exactly when its usage events exist.
            await sharedMonthTotals?.applySettled(trx, {
              usageRows: rows,
              reservationIds: capReservationIds,
            })
            if (enqueueUsage !== undefined && rows.length > 0) await enqueueUsage(trx, rows)
          },
        }
      : {}),
  })
  const requestLogs = createRequestLogsService({ db, auditLog, clock, invalidation })
  const requestLog = createRequestLogWriter({
    db,
    ...(deps.requestLogFlushIntervalMs !== undefined
      ? { flushIntervalMs: deps.requestLogFlushIntervalMs }
      : {}),
    ...onError,
  })
  const monthToDate = createMonthToDate(clock)
  const usage = createUsageService({
    db,
    auditLog,
    currency: deps.billing?.currency ?? DEFAULT_BILLING_SETTINGS.currency,
  })
  const auditSigner = createAuditSigner(masterKey)
  const auditCheckpointer = createAuditCheckpointer({ db, clock, signer: auditSigner })
  const admin: AdminApiServices = {
    ...createAdminServices({
      db,
      clock,
      auditLog,
      masterKey,
      ...(deps.adminPolicy ? { policy: deps.adminPolicy } : {}),
    }),
    organizations,
    organizationSummaries: createOrganizationSummaries({ db, clock }),
    keys,
    providerAccounts,
    routing,
    billing: billing.ledger,
    pricing,
    budgetPolicies,
    requestLogs,
    usage,
    audit: createAuditService({
      db,
      clock,
      auditLog,
      signer: auditSigner,
      checkpointer: auditCheckpointer,
    }),
    webhooks: createOutboxService({ db, auditLog, clock }),
    evidence: createEvidenceService({ db, clock, auditLog, signer: auditSigner }),
  }
  return {
    auditLog,
    /**
     * The outbox topics enabled at start (empty without `webhooks.url`). A writer enqueues an
     * event (`enqueueOutbox`, in the event's transaction) only when its topic is in here.
     */
    outboxTopics,
    auditSigner,
    auditCheckpointer,
    admin,
    keyCache,
    keyAuthenticator: createKeyAuthenticator({ db, cache: keyCache, hashKey, clock }),
    /** Model → provider account, in memory; `await models.ready()` before serving. */
    models: modelResolver,
    /** Route policies in memory, provider health, randomness: the /v1 path's routing. */
    routing: {
      policiesFor: (organizationId: string | null) => routing.resolver.policiesFor(organizationId),
      health: routing.health,
      random: routing.random,
    },
    /** Resolves once the route policies are loaded; `await` it before serving. */
    routingReady: () => routing.resolver.ready(),
    /** Price tables in force, in memory: `priceBook.priceFor(…)` on the request path. */
    priceBook,
    /** Budget policies in force, in memory: `budgetBook.policiesFor(…)` on the request path. */
    budgetBook,
    /**
     * Captures a /v1 request's prompt and completion, masked, in background batches — only for
     * organizations that opted in (`AuthenticatedKey.requestLogCapture`). Never throws, never
     * waits; `requestLog.stop()` writes what is queued before the database closes.
     */
    requestLog,
    /** Records balance threshold crossings once (audit + webhook); call after settlement. */
    thresholdEvents,
    /** Upstream adapters; main.ts closes their connection pools on shutdown. */
    providers: createProviderRegistry(addressPolicy),
    /** The ledger: `billing.holds` is the request path's API (place, settle, release). */
    billing,
    /** Usage pages, aggregates and the audited CSV export (also `admin.usage`). */
    usage,
    /**
     * Load this month's spend and tokens per key and organization from the usage events into
     * the monthly caps' counters; main.ts awaits it before serving.
     */
    seedMonthToDate: () => seedMonthToDate({ db, clock, monthToDate }),
    /** Prices, budget decisions and balance holds for each /v1 request. */
    /**
     * Monthly caps in the database (`billing.holds: database`), else undefined; the
     * `billing.sweep` job releases its expired reservations.
     */
    sharedMonthTotals,
    metering: createRequestMetering({
      monthToDate,
      ...(sharedMonthTotals !== undefined ? { sharedMonthTotals } : {}),
      priceBook,
      budgetBook,
      holds: billing.holds,
      recordUsage: (usage, options) => billing.recordUsage(usage, options),
      clock,
      ...(deps.billing ? { holdWindowTokens: deps.billing.holdWindowTokens } : {}),
      observeBalance,
      ...(deps.onBackgroundError ? { onBackgroundError: deps.onBackgroundError } : {}),
    }),
    stop: () => {
      void billing.stop()
      void requestLog.stop()
      unsubscribe()
      modelResolver.stop()
      routing.resolver.stop()
      priceBook.stop()
      budgetBook.stop()
    },
  }
}

export type Services = ReturnType<typeof createServices>
