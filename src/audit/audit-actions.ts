/**
 * The closed registry of audit actions: `category.verb`, each with its category and risk.
 * High-risk actions need a reason code; the request is refused without one. Adding an admin
 * feature means adding its action here first.
 */
export const AUDIT_CATEGORIES = [
  'api_keys',
  'organizations',
  'providers',
  'budgets',
  'routing',
  'pricing',
  'billing',
  'admin_access',
  'data_access',
] as const
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number]

export type AuditRisk = 'low' | 'high'

interface ActionSpec {
  readonly category: AuditCategory
  readonly risk: AuditRisk
}

const high = (category: AuditCategory): ActionSpec => ({ category, risk: 'high' })
const low = (category: AuditCategory): ActionSpec => ({ category, risk: 'low' })

export const AUDIT_ACTIONS = {
  'api_key.create': low('api_keys'),
  'api_key.rename': low('api_keys'),
  'api_key.scope_update': low('api_keys'),
  'api_key.environment_update': high('api_keys'),
  'api_key.expiry_update': low('api_keys'),
  'api_key.rate_limit_update': low('api_keys'),
  'api_key.rotate': high('api_keys'),
  'api_key.revoke': high('api_keys'),

  'organization.create': low('organizations'),
  'organization.update': low('organizations'),
  'organization.suspend': high('organizations'),
  'organization.reactivate': high('organizations'),

  'provider.create': low('providers'),
  'provider.update': low('providers'),
  'provider.credential_update': high('providers'),
  'provider.delete': high('providers'),

  'budget_policy.publish': low('budgets'),
  'budget_policy.rollback': high('budgets'),
  'budget_policy.hard_cap_update': high('budgets'),
  'budget.threshold_crossed': low('budgets'),

  'route_policy.publish': low('routing'),
  'route_policy.publish_production': high('routing'),
  'route_policy.rollback': high('routing'),
  'route.default_update': low('routing'),
  'route.fallback_update': low('routing'),
  'route.provider_preference_update': low('routing'),
  'route.model_tier_update': low('routing'),
  'route.downgrade_rule_update': low('routing'),

  'price_table.publish': low('pricing'),

  'billing.credit': high('billing'),
  'billing.refund': high('billing'),
  'billing.void': high('billing'),
  'billing.manual_adjustment': high('billing'),
  'billing.approval_request': low('billing'),
  'billing.approval_grant': high('billing'),
  'billing.invoice_export': low('billing'),
  // The credit expiry job's (system actor): a scheduled lapse, no one's decision to give a reason.
  'billing.credit_expiry': low('billing'),

  'admin.login': low('admin_access'),
  'admin.login_failed': low('admin_access'),
  'admin.logout': low('admin_access'),
  'admin.create': high('admin_access'),
  'admin.update': low('admin_access'),
  'admin.disable': high('admin_access'),
  'admin.enable': high('admin_access'),
  'admin.role_update': high('admin_access'),
  'admin.permission_grant': high('admin_access'),
  'admin.permission_revoke': high('admin_access'),
  'admin.password_change': low('admin_access'),
  'admin.password_reset': high('admin_access'),
  'admin.mfa_enroll_start': low('admin_access'),
  'admin.mfa_enroll': low('admin_access'),
  'admin.mfa_disable': high('admin_access'),
  'admin.mfa_requirement_update': high('admin_access'),
  'admin.token_create': high('admin_access'),
  'admin.token_revoke': low('admin_access'),
  'admin.access_denied': low('admin_access'),
  'admin.impersonation_start': high('admin_access'),
  'admin.impersonation_end': low('admin_access'),
  'support_session.start': high('admin_access'),
  'support_session.end': low('admin_access'),
  'support_session.expire': low('admin_access'),

  'export.usage_csv': low('data_access'),
  'export.logs': low('data_access'),
  'export.prompt_audit': high('data_access'),
  'retention.update': high('data_access'),
  'request_log.capture_update': high('data_access'),
  'request_log.view': low('data_access'),
  'request_log.retention_purge': low('data_access'),
  'audit_log.view': low('data_access'),
  'audit_log.export': low('data_access'),
  'audit_log.verify': low('data_access'),
  'audit_log.checkpoint': low('data_access'),
  'audit_log.retention_purge': low('data_access'),
  'webhook.delivery_retry': low('data_access'),
  'webhook.signing_secret_view': low('data_access'),
  'evidence.view': low('data_access'),
  'evidence.export': low('data_access'),
} as const satisfies Record<string, ActionSpec>

export type AuditAction = keyof typeof AUDIT_ACTIONS

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value)
}

export function categoryOf(action: AuditAction): AuditCategory {
  return AUDIT_ACTIONS[action].category
}

export function isHighRisk(action: AuditAction): boolean {
  return AUDIT_ACTIONS[action].risk === 'high'
}
