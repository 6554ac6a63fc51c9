import type { AdminRoute } from './admin-route.js'
import { ADMIN_TOKEN_ROUTES } from './admin-tokens.routes.js'
import { ADMIN_USER_ROUTES } from './admins.routes.js'
import { AUDIT_ROUTES } from './audit.routes.js'
import { AUTH_ROUTES } from './auth.routes.js'
import { BILLING_ROUTES } from './billing.routes.js'
import { KEY_ROUTES } from './keys.routes.js'
import { ORGANIZATION_ROUTES } from './orgs.routes.js'
import { PROVIDER_ACCOUNT_ROUTES } from './providers.routes.js'
import { ROUTE_POLICY_ROUTES } from './route-policies.routes.js'
import { PRICING_ROUTES } from './pricing.routes.js'
import { BUDGET_ROUTES } from './budgets.routes.js'
import { EVIDENCE_ROUTES } from './evidence.routes.js'
import { SUPPORT_SESSION_ROUTES } from './support-sessions.routes.js'
import { WEBHOOK_ROUTES } from './webhooks.routes.js'
import { REQUEST_LOG_ROUTES } from './request-logs.routes.js'
import { USAGE_ROUTES } from './usage.routes.js'

/**
 * The route catalogue: every admin API route, declared once. The admin plugin registers these,
 * the OpenAPI document is generated from them, and a test walks them to prove that every
 * state-changing route writes exactly its declared audit event. A new admin feature adds its
 * `*.routes.ts` list here (and a fixture in tests/integration/admin/route-fixtures.ts).
 */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...AUTH_ROUTES,
  ...ADMIN_USER_ROUTES,
  ...ADMIN_TOKEN_ROUTES,
  ...SUPPORT_SESSION_ROUTES,
  ...AUDIT_ROUTES,
  ...ORGANIZATION_ROUTES,
  ...KEY_ROUTES,
  ...PROVIDER_ACCOUNT_ROUTES,
  ...ROUTE_POLICY_ROUTES,
  ...PRICING_ROUTES,
  ...BUDGET_ROUTES,
  ...BILLING_ROUTES,
  ...WEBHOOK_ROUTES,
  ...REQUEST_LOG_ROUTES,
  ...USAGE_ROUTES,
  ...EVIDENCE_ROUTES,
]

/** `METHOD /url` (below /admin/v1): how tests and docs name a route. */
export function routeKey(route: Pick<AdminRoute, 'method' | 'url'>): string {
  return `${route.method} ${route.url}`
}
