import type { AuditContext } from '../audit/audit-event.js'
import { PermissionDeniedError } from './admin-errors.js'
import type { AdminRole, Permission } from './permissions.js'

/**
 * Only an owner (or the operator at the CLI) may create, change or disable an owner, or make
 * someone an owner: an `admin` cannot promote itself past the people who supervise it.
 */
export function assertMayManageRole(audit: AuditContext, roles: readonly AdminRole[]): void {
  if (!roles.includes('owner')) return
  if (audit.actor.type === 'cli' || audit.actor.role === 'owner') return
  throw new PermissionDeniedError('Only an owner may create, change or disable an owner account.')
}

/** Nobody hands out a permission they do not hold themselves. */
export function assertMayGrant(
  held: ReadonlySet<Permission> | undefined,
  permission: Permission,
): void {
  if (held === undefined || held.has(permission)) return
  throw new PermissionDeniedError(`You cannot grant '${permission}': you do not hold it yourself.`)
}
