/**
 * The admin API's answers as the console reads them. The OpenAPI document types requests only
 * (the route catalogue declares no response schemas), so these mirror the services' wire shapes;
 * money is always a decimal string of micros.
 */

export interface ListPage<T> {
  object: 'list'
  data: T[]
  hasMore: boolean
  nextCursor: string | null
}

export interface Admin {
  adminId: string
  email: string
  displayName: string | null
  role: string
  status: string
}

export interface SupportSession {
  supportSessionId: string
  adminId: string
  organizationId: string
  reasonCode: string | null
  reasonNote: string | null
  startedAt: string
  expiresAt: string
  endedAt: string | null
}

export interface Me {
  admin: Admin
  role: string
  permissions: string[]
  authenticatedWith: 'session' | 'token'
  csrfToken: string | null
  mfaEnrollmentRequired: boolean
  supportSession: SupportSession | null
}

export interface Login {
  admin: Admin
  csrfToken: string
  expiresAt: string
  mfaEnrollmentRequired: boolean
}

export interface Organization {
  organizationId: string
  name: string
  status: 'active' | 'suspended'
  externalId: string | null
  metadata: Record<string, string>
  rateLimits: { requestsPerMinute?: number; tokensPerMinute?: number }
  createdAt: string
  updatedAt: string
}

export interface ApiKey {
  keyId: string
  organizationId: string
  name: string
  label: string
  environment: 'live' | 'test'
  status: string
  scopes: { models: string[] | null; endpoints: string[] | null }
  rateLimits: { requestsPerMinute?: number; tokensPerMinute?: number }
  expiresAt: string | null
  revokedAt: string | null
  lastRotatedAt: string | null
  graceEndsAt: string | null
  createdAt: string
  updatedAt: string
}

/** A key as issued, rotated or moved between environments: the secret, this once. */
export type ApiKeyWithSecret = ApiKey & { secret: string }

export interface BalanceAccount {
  accountId: string
  environment: 'live' | 'test'
  currency: string
  balanceMicros: string
  heldMicros: string
  availableMicros: string
}

export interface Balance {
  object: 'balance'
  organizationId: string
  currency: string
  accounts: BalanceAccount[]
}

export interface LedgerEntry {
  entryId: string
  organizationId: string
  environment: string
  kind: string
  amountMicros: string
  balanceAfterMicros: string
  category: string | null
  requestId: string | null
  adminRequestId: string | null
  originalEntryId: string | null
  approvalId: string | null
  outcome: string | null
  modelServed: string | null
  createdAt: string
}

export interface BudgetPolicyContent {
  monthlyTokenLimit: string | null
  monthlySpendCapMicros: string | null
  hardCapMicros: string | null
  thresholds: {
    warnBelowMicros: string | null
    downgradeBelowMicros: string | null
    blockBelowMicros: string | null
  }
  overage: string
  rateLimits: { requestsPerMinute?: number; tokensPerMinute?: number }
}

export interface BudgetPolicyVersion {
  object: 'budget_policy'
  budgetPolicyId: string
  organizationId: string
  keyId: string | null
  version: number
  contentHash: string
  change: string
  rolledBackFromVersion: number | null
  policy: BudgetPolicyContent
  createdBy: string
  createdAt: string
}

export interface Approval {
  approvalId: string
  organizationId: string
  action: string
  amountMicros: string
  status: string
  requestedBy: string
  grantedBy: string | null
  grantedAt: string | null
  usedByEntryId: string | null
  expiresAt: string
  createdAt: string
}

export interface UsageTotals {
  requests: string
  promptTokens: string
  cachedTokens: string
  completionTokens: string
  reasoningTokens: string
  costMicros: string
  refundedMicros: string
  waivedMicros: string
}

export interface UsageAggregates {
  object: 'usage_aggregates'
  groupBy: 'day' | 'model' | 'model_pair' | 'key'
  data: (UsageTotals & {
    day: string | null
    modelRequested: string | null
    modelServed: string | null
    keyId: string | null
    keyLabel: string | null
  })[]
  totals: UsageTotals
}

export interface UsageEvent {
  usageId: string
  requestId: string
  createdAt: string
  organizationId: string
  keyId: string
  keyLabel: string
  environment: string
  endpoint: string
  modelRequested: string
  modelServed: string | null
  provider: string | null
  routePolicyVersion: string | null
  budgetPolicyVersion: number | null
  budgetDecision: string | null
  promptTokens: number
  completionTokens: number
  costMicros: string
  ledgerEntryId: string | null
  settlementOutcome: string | null
  httpStatus: number
  refundedMicros: string
  refundState: string
}

export interface AuditEvent {
  object: 'audit_event'
  audit_event_id: string
  chain_id: string
  sequence: string
  organization_id: string | null
  actor_type: string
  actor_id: string
  actor_role: string | null
  actor_ip: string | null
  impersonator_id: string | null
  support_session_id: string | null
  target_type: string | null
  target_id: string | null
  target_label: string | null
  action: string
  category: string
  outcome: string
  before: unknown
  after: unknown
  reason_code: string | null
  reason_note: string | null
  request_id: string | null
  policy_version: string | null
  evidence: unknown
  created_at: string
  previous_hash: string
  hash: string
}

export interface AuditEventPage {
  object: 'list'
  data: AuditEvent[]
  has_more: boolean
  next_cursor: string | null
}

export interface ChainReport {
  chain_id: string
  ok: boolean
  events: number
  first_sequence: string | null
  last_sequence: string | null
  last_hash: string | null
  checkpoints_verified: number
  first_problem: { sequence: string; message: string } | null
}

export interface AuditVerification {
  object: 'audit_verification'
  ok: boolean
  key_id: string
  chains: ChainReport[]
  first_problem: { sequence: string; message: string } | null
}

export interface Evidence {
  object: 'request_evidence'
  requestId: string
  generatedAt: string
  organizationIds: string[]
  usageEvents: UsageEvent[]
  ledger: {
    entries: LedgerEntry[]
    holds: unknown[]
    approvals: Approval[]
    totals: {
      chargedMicros: string
      waivedMicros: string
      refundedMicros: string
      netMicros: string
    }
  }
  routePolicies: {
    scope: string
    version: string
    status: string
    note?: string
    contentHash: string | null
  }[]
  budgetPolicies: { status: string; version?: number; contentHash?: string; content?: unknown }[]
  priceTables: { version?: number; status?: string }[]
  /** Each admin event linked to the request, with how it was found and its chain proof. */
  auditEvents: { link: string; via: string; event: AuditEvent; proof: unknown }[]
}

export interface RoutePolicyVersion {
  object: 'route_policy'
  routePolicyId: string
  version: number
  scope: string
  contentHash: string
  policy: Record<string, unknown>
  source: string
  rolledBackFromVersion: number | null
  createdBy: string | null
  createdAt: string
}

export interface RoutePolicyDiff {
  object: 'route_policy_diff'
  from: { version: number; scope: string; contentHash: string }
  to: { version: number; scope: string; contentHash: string }
  changes: { path: string; kind: string; before?: unknown; after?: unknown }[]
}

export interface RouteDecision {
  object: 'route_decision'
  model: string
  decision: string
  routePolicyVersion: string
  policyScope: string
  route: string | null
  tier: string | null
  wouldServe: { provider: string; model: string } | null
  targets: { provider: string; model: string; circuit: string; maxRetries: number }[]
  skipped: unknown[]
  explanation: string[]
}

/** Answer types by operation (`METHOD path`); an operation not listed answers `unknown`. */
export interface Responses {
  'POST /admin/v1/auth/login': Login
  'POST /admin/v1/auth/logout': { loggedOut: true }
  'GET /admin/v1/auth/me': Me
  'GET /admin/v1/orgs': ListPage<Organization>
  'GET /admin/v1/orgs/{organizationId}': Organization
  'POST /admin/v1/orgs': Organization
  'PATCH /admin/v1/orgs/{organizationId}': Organization
  'POST /admin/v1/orgs/{organizationId}/suspend': Organization
  'POST /admin/v1/orgs/{organizationId}/reactivate': Organization
  'GET /admin/v1/orgs/{organizationId}/keys': ListPage<ApiKey>
  'POST /admin/v1/orgs/{organizationId}/keys': ApiKeyWithSecret
  'GET /admin/v1/keys/{keyId}': ApiKey
  'PATCH /admin/v1/keys/{keyId}': ApiKey
  'PUT /admin/v1/keys/{keyId}/scopes': ApiKey
  'PUT /admin/v1/keys/{keyId}/environment': ApiKeyWithSecret
  'PUT /admin/v1/keys/{keyId}/expiry': ApiKey
  'POST /admin/v1/keys/{keyId}/rotate': ApiKeyWithSecret
  'POST /admin/v1/keys/{keyId}/revoke': ApiKey
  'GET /admin/v1/orgs/{organizationId}/billing/balance': Balance
  'GET /admin/v1/orgs/{organizationId}/billing/entries': ListPage<LedgerEntry>
  'POST /admin/v1/orgs/{organizationId}/billing/credits': LedgerEntry
  'POST /admin/v1/orgs/{organizationId}/billing/refunds': LedgerEntry
  'POST /admin/v1/orgs/{organizationId}/billing/adjustments': LedgerEntry
  'POST /admin/v1/orgs/{organizationId}/billing/approvals': Approval
  'GET /admin/v1/billing/approvals/{approvalId}': Approval
  'POST /admin/v1/billing/approvals/{approvalId}/grant': Approval
  'GET /admin/v1/orgs/{organizationId}/budget-policies': ListPage<BudgetPolicyVersion>
  'GET /admin/v1/orgs/{organizationId}/budget-policies/current': BudgetPolicyVersion
  'POST /admin/v1/orgs/{organizationId}/budget-policies': BudgetPolicyVersion
  'POST /admin/v1/orgs/{organizationId}/budget-policies/rollback': BudgetPolicyVersion
  'GET /admin/v1/usage': ListPage<UsageEvent>
  'GET /admin/v1/usage/aggregates': UsageAggregates
  'GET /admin/v1/audit-events': AuditEventPage
  'POST /admin/v1/audit/verify': AuditVerification
  'GET /admin/v1/evidence/requests/{requestId}': Evidence
  'GET /admin/v1/route-policies': ListPage<RoutePolicyVersion>
  'GET /admin/v1/route-policies/{version}': RoutePolicyVersion
  'GET /admin/v1/route-policies/diff': RoutePolicyDiff
  'GET /admin/v1/route-policies/dry-run': RouteDecision
  'POST /admin/v1/route-policies': RoutePolicyVersion
  'POST /admin/v1/route-policies/{version}/rollback': RoutePolicyVersion
  'GET /admin/v1/support-sessions': { object: 'list'; data: SupportSession[] }
  'POST /admin/v1/support-sessions': SupportSession
  'POST /admin/v1/support-sessions/{supportSessionId}/end': SupportSession
}

export type ResponseOf<K extends string> = K extends keyof Responses ? Responses[K] : unknown
