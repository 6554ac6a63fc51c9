import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { AdminPermissionOverridesTable, AdminUsersTable } from './admins.table.js'
import type { AdminStatus, AdminUser } from './admin-user.js'
import {
  isAdminRole,
  isPermission,
  type AdminRole,
  type PermissionOverride,
} from './permissions.js'

export type AdminUserRow = Selectable<AdminUsersTable>
type OverrideRow = Selectable<AdminPermissionOverridesTable>

const MFA_REQUIRED_SETTING = 'admin_mfa_required'

export function rowToAdminUser(row: AdminUserRow): AdminUser {
  return {
    adminId: row.admin_id,
    email: row.email,
    displayName: row.display_name,
    status: row.status as AdminStatus,
    role: (isAdminRole(row.role) ? row.role : 'viewer') satisfies AdminRole,
    mfaEnabled: row.totp_secret_sealed !== null,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertAdminUser(
  db: Db,
  row: Insertable<AdminUsersTable>,
): Promise<AdminUserRow> {
  return db.insertInto('admin_users').values(row).returningAll().executeTakeFirstOrThrow()
}

export function findAdminUserById(db: Db, adminId: string): Promise<AdminUserRow | undefined> {
  return db.selectFrom('admin_users').selectAll().where('admin_id', '=', adminId).executeTakeFirst()
}

export function findAdminUserByEmail(
  db: Db,
  emailNormalized: string,
): Promise<AdminUserRow | undefined> {
  return db
    .selectFrom('admin_users')
    .selectAll()
    .where('email_normalized', '=', emailNormalized)
    .executeTakeFirst()
}

/** Every admin, oldest first (admin counts are small: no pagination needed). */
export function listAdminUsers(db: Db): Promise<AdminUserRow[]> {
  return db.selectFrom('admin_users').selectAll().orderBy('admin_id', 'asc').execute()
}

export async function updateAdminUser(
  db: Db,
  adminId: string,
  patch: Updateable<AdminUsersTable>,
): Promise<AdminUserRow> {
  return db
    .updateTable('admin_users')
    .set(patch)
    .where('admin_id', '=', adminId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function countActiveOwners(db: Db): Promise<number> {
  const row = await db
    .selectFrom('admin_users')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('role', '=', 'owner')
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function countAdminUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('admin_users')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

function rowToOverride(row: OverrideRow): PermissionOverride | undefined {
  if (!isPermission(row.permission)) return undefined
  return { permission: row.permission, effect: row.effect === 'grant' ? 'grant' : 'revoke' }
}

export async function findPermissionOverrides(
  db: Db,
  adminId: string,
): Promise<PermissionOverride[]> {
  const rows = await db
    .selectFrom('admin_permission_overrides')
    .selectAll()
    .where('admin_id', '=', adminId)
    .orderBy('permission')
    .execute()
  return rows.flatMap((row) => rowToOverride(row) ?? [])
}

/** Overrides of many admins at once, keyed by admin id (for the admin list). */
export async function findPermissionOverridesOf(
  db: Db,
  adminIds: readonly string[],
): Promise<Map<string, PermissionOverride[]>> {
  const out = new Map<string, PermissionOverride[]>()
  if (adminIds.length === 0) return out
  const rows = await db
    .selectFrom('admin_permission_overrides')
    .selectAll()
    .where('admin_id', 'in', adminIds)
    .orderBy('permission')
    .execute()
  for (const row of rows) {
    const override = rowToOverride(row)
    if (override) out.set(row.admin_id, [...(out.get(row.admin_id) ?? []), override])
  }
  return out
}

/** Set (insert or replace) one admin's override of one permission. */
export async function upsertPermissionOverride(
  db: Db,
  row: Insertable<AdminPermissionOverridesTable>,
): Promise<void> {
  await db
    .insertInto('admin_permission_overrides')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['admin_id', 'permission'])
        .doUpdateSet({ effect: row.effect, created_at: row.created_at }),
    )
    .execute()
}

export async function deletePermissionOverride(
  db: Db,
  key: { adminId: string; permission: string },
): Promise<void> {
  await db
    .deleteFrom('admin_permission_overrides')
    .where('admin_id', '=', key.adminId)
    .where('permission', '=', key.permission)
    .execute()
}

/** Whether every admin must use a second factor (an owner's setting; default off). */
export async function findMfaRequired(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', MFA_REQUIRED_SETTING)
    .executeTakeFirst()
  return row?.value === 'true'
}

export async function saveMfaRequired(
  db: Db,
  options: { required: boolean; updatedAt: string },
): Promise<void> {
  const value = options.required ? 'true' : 'false'
  await db
    .insertInto('settings')
    .values({ name: MFA_REQUIRED_SETTING, value, updated_at: options.updatedAt })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: options.updatedAt }))
    .execute()
}
