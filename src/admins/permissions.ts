/**
 * The one registry of admin roles and permissions. A role is a named bundle of permissions; an
 * admin's effective permissions are the role's, plus explicit grants, minus explicit
 * revocations. Owner holds every permission and cannot be narrowed by a revocation.
 * docs/admin-access.md shows the same table.
 */
export const PERMISSIONS = [
  'orgs.read',
  'orgs.write',
  'keys.read',
  'keys.write',
  'providers.read',
  'providers.write',
  'routing.read',
  'routing.write',
  'budgets.read',
  'budgets.write',
  'pricing.read',
  'pricing.write',
  'billing.read',
  'billing.write',
  'billing.approve',
  'usage.read',
  'usage.export',
  'audit.read',
  'audit.export',
  'webhooks.read',
  'webhooks.write',
  'admins.read',
  'admins.write',
  'support_sessions.start',
  'prompts.read',
  'prompts.export',
  'settings.write',
] as const
export type Permission = (typeof PERMISSIONS)[number]

export const ADMIN_ROLES = [
  'owner',
  'admin',
  'billing',
  'support',
  'security_auditor',
  'viewer',
] as const
export type AdminRole = (typeof ADMIN_ROLES)[number]

const READ_ALL_OPERATIONAL: readonly Permission[] = [
  'orgs.read',
  'keys.read',
  'providers.read',
  'routing.read',
  'budgets.read',
  'pricing.read',
  'billing.read',
  'usage.read',
]

/**
 * Role → permissions. `admin` runs the gateway day to day but cannot change platform security
 * settings, approve money movements it may have requested, or export prompts: those stay with
 * an owner (or an explicit grant).
 */
export const ROLE_PERMISSIONS: Readonly<Record<AdminRole, readonly Permission[]>> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS.filter(
    (p) => p !== 'settings.write' && p !== 'billing.approve' && p !== 'prompts.export',
  ),
  billing: [
    'orgs.read',
    'billing.read',
    'billing.write',
    'budgets.read',
    'budgets.write',
    'pricing.read',
    'pricing.write',
    'usage.read',
    'usage.export',
    'webhooks.read',
  ],
  support: [...READ_ALL_OPERATIONAL, 'support_sessions.start'],
  security_auditor: [
    ...READ_ALL_OPERATIONAL,
    'audit.read',
    'audit.export',
    'webhooks.read',
    'admins.read',
  ],
  viewer: READ_ALL_OPERATIONAL,
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value)
}

export function isAdminRole(value: string): value is AdminRole {
  return (ADMIN_ROLES as readonly string[]).includes(value)
}

/** A per-admin exception to the role: a permission added (`grant`) or taken away (`revoke`). */
export interface PermissionOverride {
  permission: Permission
  effect: 'grant' | 'revoke'
}

/**
 * The permissions an admin holds: role ∪ grants − revocations. Owner always holds everything,
 * so a stray revocation can never lock the platform out of its own settings.
 */
export function effectivePermissions(options: {
  role: AdminRole
  overrides: readonly PermissionOverride[]
}): ReadonlySet<Permission> {
  const held = new Set<Permission>(ROLE_PERMISSIONS[options.role])
  if (options.role === 'owner') return held
  for (const override of options.overrides) {
    if (override.effect === 'grant') held.add(override.permission)
    else held.delete(override.permission)
  }
  return held
}

/** Permissions an API token may use: its own list (if narrowed) within what its admin holds now. */
export function tokenPermissions(options: {
  adminPermissions: ReadonlySet<Permission>
  tokenPermissions: readonly Permission[] | null
}): ReadonlySet<Permission> {
  if (options.tokenPermissions === null) return options.adminPermissions
  return new Set(options.tokenPermissions.filter((p) => options.adminPermissions.has(p)))
}

/** Stable, sorted list for responses and audit diffs. */
export function sortedPermissions(permissions: Iterable<Permission>): Permission[] {
  const order = new Map(PERMISSIONS.map((p, i) => [p, i]))
  return [...permissions].sort((a, b) => order.get(a)! - order.get(b)!)
}
