import { canonicalJson, type AuditContext, type AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import type { Db } from '../storage/index.js'
import {
  organizationDiff,
  type Organization,
  type OrganizationStatus,
  type RateLimits,
} from './organization.js'
import { ConflictError, OrganizationNotFoundError } from './organization-errors.js'
import {
  findOrganizationByExternalId,
  findOrganizationById,
  findOrganizations,
  insertOrganization,
  updateOrganizationRow,
} from './organizations.repository.js'

export interface OrganizationsServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
}

export interface NewOrganization {
  name: string
  externalId?: string | null
  metadata?: Record<string, string>
  rateLimits?: RateLimits
}

export type OrganizationPatch = Partial<NewOrganization>

/** Organizations: every change an audited action, every status change felt by all instances. */
export function createOrganizationsService(deps: OrganizationsServiceDeps) {
  const { db, auditLog, clock } = deps

  async function mustFind(organizationId: string, reader: Db = db): Promise<Organization> {
    const org = await findOrganizationById(reader, organizationId)
    if (!org) throw new OrganizationNotFoundError(organizationId)
    return org
  }

  async function assertExternalIdFree(
    reader: Db,
    externalId: string | null | undefined,
    self?: string,
  ) {
    if (!externalId) return
    const holder = await findOrganizationByExternalId(reader, externalId)
    if (holder && holder.organizationId !== self) {
      throw new ConflictError(`Another organization already has external_id '${externalId}'.`, {
        code: 'external_id_taken',
        param: 'external_id',
      })
    }
  }

  async function setStatus(
    context: AuditContext,
    organizationId: string,
    status: OrganizationStatus,
  ) {
    const action = status === 'suspended' ? 'organization.suspend' : 'organization.reactivate'
    return publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, action, async (tx) => {
        const before = await mustFind(organizationId, tx)
        if (before.status === status) {
          throw new ConflictError(`Organization '${organizationId}' is already ${status}.`, {
            code: 'invalid_state',
          })
        }
        const updatedAt = toIsoTimestamp(clock.nowMs())
        await updateOrganizationRow(tx, { organizationId, set: { status, updated_at: updatedAt } })
        const after: Organization = { ...before, status, updatedAt }
        invalidate({ kind: 'organization', id: organizationId })
        return {
          result: after,
          event: {
            organizationId,
            target: { type: 'organization', id: organizationId, label: before.name },
            before: organizationDiff(before),
            after: organizationDiff(after),
          },
        }
      }),
    )
  }

  return {
    get: mustFind,

    list: (filters: {
      search?: string
      status?: OrganizationStatus
      afterId?: string
      limit: number
    }) => findOrganizations(db, filters),

    create: (context: AuditContext, input: NewOrganization): Promise<Organization> =>
      auditLog.run(context, 'organization.create', async (tx) => {
        await assertExternalIdFree(tx, input.externalId)
        const nowMs = clock.nowMs()
        const now = toIsoTimestamp(nowMs)
        const org: Organization = {
          organizationId: newId('org', nowMs),
          name: input.name,
          status: 'active',
          externalId: input.externalId ?? null,
          metadata: input.metadata ?? {},
          rateLimits: input.rateLimits ?? {},
          createdAt: now,
          updatedAt: now,
        }
        await insertOrganization(tx, {
          organization_id: org.organizationId,
          name: org.name,
          status: org.status,
          external_id: org.externalId,
          metadata_json: Object.keys(org.metadata).length > 0 ? canonicalJson(org.metadata) : null,
          rate_limits_json:
            Object.keys(org.rateLimits).length > 0 ? canonicalJson(org.rateLimits) : null,
          created_at: now,
          updated_at: now,
        })
        return {
          result: org,
          event: {
            organizationId: org.organizationId,
            target: { type: 'organization', id: org.organizationId, label: org.name },
            after: organizationDiff(org),
          },
        }
      }),

    update: (
      context: AuditContext,
      organizationId: string,
      patch: OrganizationPatch,
    ): Promise<Organization> =>
      publishAfterCommit(deps.invalidation, (invalidate) =>
        auditLog.run(context, 'organization.update', async (tx) => {
          const before = await mustFind(organizationId, tx)
          if (patch.externalId !== undefined)
            await assertExternalIdFree(tx, patch.externalId, organizationId)
          const updatedAt = toIsoTimestamp(clock.nowMs())
          const after: Organization = {
            ...before,
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.externalId !== undefined ? { externalId: patch.externalId } : {}),
            ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
            ...(patch.rateLimits !== undefined ? { rateLimits: patch.rateLimits } : {}),
            updatedAt,
          }
          await updateOrganizationRow(tx, {
            organizationId,
            set: {
              name: after.name,
              external_id: after.externalId,
              metadata_json:
                Object.keys(after.metadata).length > 0 ? canonicalJson(after.metadata) : null,
              rate_limits_json:
                Object.keys(after.rateLimits).length > 0 ? canonicalJson(after.rateLimits) : null,
              updated_at: updatedAt,
            },
          })
          // Rate limits are cached with the keys: their holders must reload.
          if (patch.rateLimits !== undefined)
            invalidate({ kind: 'organization', id: organizationId })
          return {
            result: after,
            event: {
              organizationId,
              target: { type: 'organization', id: organizationId, label: after.name },
              before: organizationDiff(before),
              after: organizationDiff(after),
            },
          }
        }),
      ),

    suspend: (context: AuditContext, organizationId: string) =>
      setStatus(context, organizationId, 'suspended'),
    reactivate: (context: AuditContext, organizationId: string) =>
      setStatus(context, organizationId, 'active'),
  }
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>
