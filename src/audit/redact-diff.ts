import { createHash } from 'node:crypto'
import { scrubSecrets } from '../lib/redact.js'

/**
 * What each kind of target may show in an audit diff. Fields not listed never reach the audit
 * log. A field listed under `secret` is replaced by a reference: label, id and a hash prefix,
 * never its value.
 */
export const AUDIT_TARGETS = {
  organization: { fields: ['name', 'status', 'externalId', 'metadata', 'rateLimits'], secret: [] },
  api_key: {
    fields: [
      'name',
      'label',
      'environment',
      'status',
      'scopes',
      'expiresAt',
      'rateLimits',
      'organizationId',
      'rotatedFromKeyId',
      'graceEndsAt',
      'revokedAt',
    ],
    secret: ['secret'],
  },
  provider: {
    fields: [
      'name',
      'kind',
      'baseUrl',
      'headerNames',
      'timeouts',
      'models',
      'aliases',
      'settings',
      'status',
      'credentialLabel',
    ],
    secret: ['credential'],
  },
  route_policy: {
    fields: [
      'version',
      'contentHash',
      'scope',
      'organizationId',
      'summary',
      'source',
      'rolledBackFromVersion',
      'policy',
    ],
    secret: [],
  },
  budget_policy: {
    fields: [
      'version',
      'contentHash',
      'organizationId',
      'keyId',
      'summary',
      'change',
      'rolledBackFromVersion',
      'crossing',
    ],
    secret: [],
  },
  price_table: {
    fields: ['version', 'contentHash', 'summary', 'scope', 'organizationId', 'note', 'changes'],
    secret: [],
  },
  ledger_entry: {
    fields: [
      'kind',
      'amountMicros',
      'currency',
      'accountId',
      'requestId',
      'originalEntryId',
      'balanceAfterMicros',
      'environment',
      'category',
      'expiresAt',
      'approvalId',
    ],
    secret: [],
  },
  approval: {
    fields: ['action', 'amountMicros', 'status', 'requestedBy', 'approvedBy'],
    secret: [],
  },
  admin_user: {
    fields: [
      'email',
      'displayName',
      'status',
      'role',
      'grants',
      'revokedPermissions',
      'mfaEnabled',
      'mfaRequired',
    ],
    secret: ['password', 'totpSecret'],
  },
  admin_token: {
    fields: ['name', 'label', 'adminId', 'expiresAt', 'status', 'permissions'],
    secret: ['token'],
  },
  admin_session: { fields: ['adminId', 'expiresAt', 'method'], secret: [] },
  support_session: {
    fields: ['adminId', 'organizationId', 'expiresAt', 'endedAt', 'mode'],
    secret: [],
  },
  audit_log: {
    fields: [
      'filters',
      'rows',
      'format',
      'sha256',
      'chainId',
      'sequence',
      'throughSequence',
      'exportId',
      'checkpoints',
      'ok',
      'chains',
      'firstProblem',
    ],
    secret: [],
  },
  webhook_delivery: {
    fields: ['topic', 'eventId', 'status', 'attempts', 'lastError', 'nextAttemptAt'],
    secret: [],
  },
  export: { fields: ['kind', 'filters', 'rows', 'format', 'sha256', 'period'], secret: [] },
  request: {
    fields: [
      'requestId',
      'format',
      'usageEvents',
      'ledgerEntries',
      'auditEvents',
      'keyId',
      'sha256',
    ],
    secret: [],
  },
  settings: { fields: ['name', 'value'], secret: [] },
  request_log_settings: { fields: ['captureEnabled', 'retentionDays'], secret: [] },
  /** A request's captured content: never the content itself, only what was read or purged. */
  request_log: { fields: ['endpoint', 'retentionDays', 'cutoff', 'rows'], secret: [] },
} as const satisfies Record<string, { fields: readonly string[]; secret: readonly string[] }>

export type AuditTargetType = keyof typeof AUDIT_TARGETS

export function isAuditTargetType(value: string): value is AuditTargetType {
  return Object.hasOwn(AUDIT_TARGETS, value)
}

/** A reference that stands in for a secret in a diff: enough to correlate, nothing to reuse. */
export interface SecretReference {
  redacted: true
  label?: string
  id?: string
  sha256Prefix: string
}

/** Callers pass a secret as this wrapper so its label and id travel with it. */
export interface SecretValue {
  secret: string
  label?: string
  id?: string
}

/**
 * Keep only allow-listed fields of `value`, replace secrets by references, and scrub anything
 * credential-shaped from the strings that remain.
 */
export function redactDiff(
  targetType: AuditTargetType,
  value: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null {
  if (value === null || value === undefined) return null
  const spec: { fields: readonly string[]; secret: readonly string[] } = AUDIT_TARGETS[targetType]
  const out: Record<string, unknown> = {}
  for (const field of spec.fields) {
    if (Object.hasOwn(value, field) && value[field] !== undefined)
      out[field] = scrubDeep(value[field])
  }
  for (const field of spec.secret) {
    if (Object.hasOwn(value, field) && value[field] !== undefined) {
      out[field] = toSecretReference(value[field])
    }
  }
  return out
}

function toSecretReference(value: unknown): SecretReference {
  const wrapped: SecretValue =
    typeof value === 'object' && value !== null && 'secret' in value
      ? (value as SecretValue)
      : { secret: typeof value === 'string' ? value : JSON.stringify(value) }
  return {
    redacted: true,
    ...(wrapped.label ? { label: scrubSecrets(wrapped.label) } : {}),
    ...(wrapped.id ? { id: wrapped.id } : {}),
    sha256Prefix: createHash('sha256').update(wrapped.secret).digest('hex').slice(0, 12),
  }
}

/** JSON-safe copy with bigint as decimal strings and credential-shaped text scrubbed. */
export function scrubDeep(value: unknown): unknown {
  if (typeof value === 'string') return scrubSecrets(value)
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(scrubDeep)
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v)]))
  }
  return value
}
