import type { AuditAction, AuditContext, AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import {
  ConflictError,
  OrganizationNotFoundError,
  findOrganizationById,
  type RateLimits,
} from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import { apiKeyDiff, type ApiKey, type KeyScopes } from './api-key.js'
import { ApiKeyNotFoundError } from './key-errors.js'
import { generateKeySecret, type KeyEnvironment } from './key-secret.js'
import {
  findApiKeyRow,
  findApiKeysOfOrganization,
  insertApiKey,
  rateLimitsToJson,
  rowToApiKey,
  scopesToJson,
  updateApiKeyRow,
  type ApiKeyRow,
} from './keys.repository.js'

export interface KeysServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
  /** `deriveKey(masterKey, 'api-key-hash')`. */
  hashKey: Buffer
}

export interface NewApiKey {
  organizationId: string
  name: string
  environment: KeyEnvironment
  scopes?: KeyScopes
  expiresAt?: string | null
  rateLimits?: RateLimits
}

/** A key with its secret: returned once, at creation, rotation or environment change. */
export interface IssuedApiKey {
  key: ApiKey
  secret: string
}

const ANY_SCOPE: KeyScopes = { models: null, endpoints: null }
/** @default 24 hours, the grace period of a rotation when none is given. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000
export const MAX_ROTATION_GRACE_MS = 30 * 24 * 60 * 60 * 1000

/**
 * The key lifecycle: each step one audited action with before/after, and an invalidation
 * published after commit so every instance stops or starts honouring the key at once.
 */
export function createKeysService(deps: KeysServiceDeps) {
  const { db, auditLog, clock } = deps

  async function mustFindRow(keyId: string, reader: Db = db): Promise<ApiKeyRow> {
    const row = await findApiKeyRow(reader, keyId)
    if (!row) throw new ApiKeyNotFoundError(keyId)
    return row
  }

  /** Apply `change` to one key in an audited transaction; the secret (if any) stays out of the event. */
  function changeKey(
    context: AuditContext,
    options: {
      action: AuditAction
      keyId: string
      /** The row's new values (and a new secret), from its current state; pure. */
      change: (before: ApiKeyRow, now: string) => { set: Partial<ApiKeyRow>; secret?: string }
    },
  ): Promise<{ key: ApiKey; secret?: string }> {
    return publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, options.action, async (tx) => {
        const beforeRow = await mustFindRow(options.keyId, tx)
        const now = toIsoTimestamp(clock.nowMs())
        const { set, secret } = options.change(beforeRow, now)
        const afterRow: ApiKeyRow = { ...beforeRow, ...set, updated_at: now }
        await updateApiKeyRow(tx, { keyId: options.keyId, set: { ...set, updated_at: now } })
        invalidate({ kind: 'key', id: options.keyId })
        const before = rowToApiKey(beforeRow)
        const after = rowToApiKey(afterRow)
        return {
          result: { key: after, ...(secret !== undefined ? { secret } : {}) },
          event: {
            organizationId: after.organizationId,
            target: { type: 'api_key', id: after.keyId, label: after.label },
            before: apiKeyDiff(before),
            after: apiKeyDiff(after),
          },
        }
      }),
    )
  }

  function assertActive(row: ApiKeyRow) {
    if (row.status !== 'active') {
      throw new ConflictError(`API key '${row.key_id}' is revoked; issue a new key instead.`, {
        code: 'invalid_state',
      })
    }
  }

  return {
    get: async (keyId: string): Promise<ApiKey> => rowToApiKey(await mustFindRow(keyId)),

    listForOrganization: (filters: { organizationId: string; afterId?: string; limit: number }) =>
      findApiKeysOfOrganization(db, filters),

    create: (context: AuditContext, input: NewApiKey): Promise<IssuedApiKey> =>
      auditLog.run(context, 'api_key.create', async (tx) => {
        const org = await findOrganizationById(tx, input.organizationId)
        if (!org) throw new OrganizationNotFoundError(input.organizationId)
        const generated = generateKeySecret({
          environment: input.environment,
          hashKey: deps.hashKey,
        })
        const now = toIsoTimestamp(clock.nowMs())
        const row: ApiKeyRow = {
          key_id: generated.keyId,
          organization_id: input.organizationId,
          name: input.name,
          label: generated.label,
          environment: input.environment,
          status: 'active',
          secret_hash: generated.hash.toString('hex'),
          previous_secret_hash: null,
          previous_hash_expires_at: null,
          scopes_json: scopesToJson(input.scopes ?? ANY_SCOPE),
          rate_limits_json: rateLimitsToJson(input.rateLimits ?? {}),
          expires_at: input.expiresAt ?? null,
          revoked_at: null,
          last_rotated_at: null,
          created_at: now,
          updated_at: now,
        }
        await insertApiKey(tx, row)
        const key = rowToApiKey(row)
        return {
          result: { key, secret: generated.secret },
          event: {
            organizationId: key.organizationId,
            target: { type: 'api_key', id: key.keyId, label: key.label },
            after: apiKeyDiff(key),
          },
        }
      }),

    rename: (context: AuditContext, keyId: string, name: string) =>
      changeKey(context, {
        action: 'api_key.rename',
        keyId,
        change: () => ({ set: { name } }),
      }).then((r) => r.key),

    updateScopes: (context: AuditContext, keyId: string, scopes: KeyScopes) =>
      changeKey(context, {
        action: 'api_key.scope_update',
        keyId,
        change: (before) => {
          assertActive(before)
          return { set: { scopes_json: scopesToJson(scopes) } }
        },
      }).then((r) => r.key),

    setExpiry: (context: AuditContext, keyId: string, expiresAt: string | null) =>
      changeKey(context, {
        action: 'api_key.expiry_update',
        keyId,
        change: (before) => {
          assertActive(before)
          return { set: { expires_at: expiresAt } }
        },
      }).then((r) => r.key),

    setRateLimits: (context: AuditContext, keyId: string, rateLimits: RateLimits) =>
      changeKey(context, {
        action: 'api_key.rate_limit_update',
        keyId,
        change: (before) => {
          assertActive(before)
          return { set: { rate_limits_json: rateLimitsToJson(rateLimits) } }
        },
      }).then((r) => r.key),

    /**
     * Issue a new secret for the same key. The old secret keeps working until the grace period
     * ends (0: stops at once). A second rotation inside a grace period ends the first one's grace.
     */
    rotate: (context: AuditContext, keyId: string, options: { graceMs: number }) =>
      changeKey(context, {
        action: 'api_key.rotate',
        keyId,
        change: (before, now) => {
          assertActive(before)
          const generated = generateKeySecret({
            environment: before.environment as KeyEnvironment,
            hashKey: deps.hashKey,
            keyId,
          })
          const graceEnds =
            options.graceMs > 0 ? toIsoTimestamp(Date.parse(now) + options.graceMs) : null
          return {
            secret: generated.secret,
            set: {
              label: generated.label,
              secret_hash: generated.hash.toString('hex'),
              previous_secret_hash: graceEnds ? before.secret_hash : null,
              previous_hash_expires_at: graceEnds,
              last_rotated_at: now,
            },
          }
        },
      }) as Promise<IssuedApiKey>,

    /**
     * Move a key between live and test. The environment is part of the secret's prefix, so a new
     * secret is issued and the old one stops at once: a live-prefixed secret never bills as test.
     */
    changeEnvironment: (context: AuditContext, keyId: string, environment: KeyEnvironment) =>
      changeKey(context, {
        action: 'api_key.environment_update',
        keyId,
        change: (before, now) => {
          assertActive(before)
          if (before.environment === environment) {
            throw new ConflictError(`API key '${keyId}' is already ${environment}.`, {
              code: 'invalid_state',
            })
          }
          const generated = generateKeySecret({ environment, hashKey: deps.hashKey, keyId })
          return {
            secret: generated.secret,
            set: {
              environment,
              label: generated.label,
              secret_hash: generated.hash.toString('hex'),
              previous_secret_hash: null,
              previous_hash_expires_at: null,
              last_rotated_at: now,
            },
          }
        },
      }) as Promise<IssuedApiKey>,

    /** Revoke at once, on every instance. */
    revoke: (context: AuditContext, keyId: string) =>
      changeKey(context, {
        action: 'api_key.revoke',
        keyId,
        change: (before, now) => {
          assertActive(before)
          return {
            set: {
              status: 'revoked',
              revoked_at: now,
              previous_secret_hash: null,
              previous_hash_expires_at: null,
            },
          }
        },
      }).then((r) => r.key),
  }
}

export type KeysService = ReturnType<typeof createKeysService>
