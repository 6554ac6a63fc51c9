import type { AuditContext } from '../audit/audit-event.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { InvalidRequestError, NotFoundError } from '../lib/errors.js'
import { AdminConflictError, PermissionDeniedError } from './admin-errors.js'
import type { AdminServiceDeps } from './admin-deps.js'
import { hashAdminSecret, mintAdminToken } from './admin-secrets.js'
import {
  findAdminToken,
  insertAdminToken,
  listAdminTokens,
  revokeAdminToken,
  type AdminTokenRow,
} from './admin-tokens.repository.js'
import { findAdminUserById } from './admins.repository.js'
import { isPermission, sortedPermissions, type Permission } from './permissions.js'

/** An admin token as lists show it: label and metadata, never the secret or its hash. */
export interface AdminTokenInfo {
  tokenId: string
  adminId: string
  name: string
  label: string
  /** null: the token may do whatever its admin may. */
  permissions: Permission[] | null
  status: 'active' | 'revoked' | 'expired'
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  lastUsedAt: string | null
}

/** The one response that carries a token's secret. */
export interface CreatedAdminToken {
  token: string
  info: AdminTokenInfo
}

export interface AdminTokensService {
  createToken(
    audit: AuditContext,
    input: {
      adminId: string
      name: string
      expiresAtMs?: number
      permissions?: readonly Permission[]
      /** What the creator holds; a token never gets more. Undefined for the CLI. */
      creatorPermissions?: ReadonlySet<Permission>
    },
  ): Promise<CreatedAdminToken>
  listTokens(options: { adminId?: string }): Promise<AdminTokenInfo[]>
  revokeToken(
    audit: AuditContext,
    input: { tokenId: string; actorAdminId: string | null; mayRevokeAny: boolean },
  ): Promise<AdminTokenInfo>
}

export function rowToAdminTokenInfo(row: AdminTokenRow, clock: Clock): AdminTokenInfo {
  const expired = row.expires_at !== null && clock.nowMs() >= Date.parse(row.expires_at)
  return {
    tokenId: row.token_id,
    adminId: row.admin_id,
    name: row.name,
    label: row.label,
    permissions:
      row.permissions_json === null
        ? null
        : (JSON.parse(row.permissions_json) as string[]).filter(isPermission),
    status: row.revoked_at !== null ? 'revoked' : expired ? 'expired' : 'active',
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  }
}

function tokenAuditView(info: AdminTokenInfo): Record<string, unknown> {
  return {
    name: info.name,
    label: info.label,
    adminId: info.adminId,
    expiresAt: info.expiresAt,
    status: info.status,
    permissions: info.permissions,
  }
}

/** Admin API tokens: minted once, stored as an HMAC, revocable, optionally narrowed and expiring. */
export function createAdminTokensService(deps: AdminServiceDeps): AdminTokensService {
  const { db, clock, auditLog, keys } = deps
  return {
    createToken: (audit, input) => {
      const nowMs = clock.nowMs()
      if (input.expiresAtMs !== undefined && input.expiresAtMs <= nowMs) {
        throw new InvalidRequestError('The expiry must be in the future.', {
          param: 'expiresInDays',
        })
      }
      const narrowed =
        input.permissions === undefined ? null : sortedPermissions(new Set(input.permissions))
      const beyond =
        narrowed?.filter((p) => input.creatorPermissions && !input.creatorPermissions.has(p)) ?? []
      if (beyond.length > 0) {
        throw new PermissionDeniedError(
          `A token cannot hold permissions you do not have: ${beyond.join(', ')}.`,
        )
      }
      return auditLog.run(audit, 'admin.token_create', async (tx) => {
        const admin = await findAdminUserById(tx, input.adminId)
        if (!admin)
          throw new NotFoundError(`No admin with id '${input.adminId}'.`, { param: 'adminId' })
        if (admin.status !== 'active')
          throw new AdminConflictError('The admin is disabled.', 'admin_disabled')
        const minted = mintAdminToken(nowMs)
        const row = await insertAdminToken(tx, {
          token_id: minted.tokenId,
          admin_id: admin.admin_id,
          name: input.name.trim(),
          label: minted.label,
          token_hash: hashAdminSecret(keys.tokenHash, minted.token),
          permissions_json: narrowed === null ? null : JSON.stringify(narrowed),
          created_at: toIsoTimestamp(nowMs),
          expires_at: input.expiresAtMs === undefined ? null : toIsoTimestamp(input.expiresAtMs),
          revoked_at: null,
          last_used_at: null,
        })
        const info = rowToAdminTokenInfo(row, clock)
        return {
          result: { token: minted.token, info },
          event: {
            target: { type: 'admin_token', id: info.tokenId, label: info.label },
            after: tokenAuditView(info),
          },
        }
      })
    },

    listTokens: async (options) =>
      (await listAdminTokens(db, options)).map((row) => rowToAdminTokenInfo(row, clock)),

    revokeToken: (audit, input) =>
      auditLog.run(audit, 'admin.token_revoke', async (tx) => {
        const row = await findAdminToken(tx, input.tokenId)
        // Someone else's token is "not found" to an admin who may not manage it.
        if (!row || (!input.mayRevokeAny && row.admin_id !== input.actorAdminId)) {
          throw new NotFoundError(`No admin token with id '${input.tokenId}'.`, {
            param: 'tokenId',
          })
        }
        if (row.revoked_at !== null)
          throw new AdminConflictError('The token is already revoked.', 'admin_token_revoked')
        const before = rowToAdminTokenInfo(row, clock)
        const info = rowToAdminTokenInfo(
          await revokeAdminToken(tx, {
            tokenId: row.token_id,
            revokedAt: toIsoTimestamp(clock.nowMs()),
          }),
          clock,
        )
        return {
          result: info,
          event: {
            target: { type: 'admin_token', id: info.tokenId, label: info.label },
            before: tokenAuditView(before),
            after: tokenAuditView(info),
          },
        }
      }),
  }
}
