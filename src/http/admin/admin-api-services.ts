import type { AdminServices } from '../../admins/index.js'
import type { AuditService } from '../../audit/index.js'
import type { LedgerService } from '../../billing/index.js'
import type { KeysService } from '../../keys/index.js'
import type { OrganizationsService } from '../../organizations/index.js'
import type { OrganizationSummaries } from '../../organizations/organization-summaries.service.js'
import type { ProviderAccountsService } from '../../provider-accounts/index.js'
import type { PricingService } from '../../pricing/index.js'
import type { BudgetPoliciesService } from '../../budgets/index.js'
import type { EvidenceService } from '../../evidence/index.js'
import type { RoutingAdmin } from '../../routing/index.js'
import type { OutboxService } from '../../outbox/index.js'
import type { RequestLogsService } from '../../request-logs/index.js'
import type { UsageService } from '../../usage/index.js'

/** Every service an admin route handler may call, built once by the composition root. */
export interface AdminApiServices extends AdminServices {
  organizations: OrganizationsService
  /** The organizations list with balances, month-to-date spend and budget state. */
  organizationSummaries: OrganizationSummaries
  keys: KeysService
  audit: AuditService
  providerAccounts: ProviderAccountsService
  billing: LedgerService
  pricing: PricingService
  budgetPolicies: BudgetPoliciesService
  /** Route policies (versions, publishing) and the live routing state (dry-run, health). */
  routing: RoutingAdmin
  /** Webhook deliveries (the outbox): states and retries. */
  webhooks: OutboxService
  /** Request logging opt-ins, audited reads and exports of captured content. */
  requestLogs: RequestLogsService
  /** Usage events: pages, aggregates, the audited CSV export. */
  usage: UsageService
  /** A request's evidence: usage, money, versions, admin events and their chain proofs. */
  evidence: EvidenceService
}
