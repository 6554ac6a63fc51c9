import { createAdminServices, type AdminAuthPolicy } from './admins/index.js'
import {
  createAuditCheckpointer,
  createAuditLog,
  createAuditService,
  createAuditSigner,
} from './audit/index.js'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from './config/resolve-provider-accounts.js'
import type { AdminApiServices } from './http/admin/admin-api-services.js'
import type { CacheInvalidation } from './invalidation/index.js'
import {
  createKeyAuthenticator,
  createKeyCache,
  createKeysService,
  invalidateKeyCache,
  type AuthenticatedKey,
} from './keys/index.js'
import type { Clock } from './lib/clock.js'
import { createOrganizationsService } from './organizations/index.js'
import {
  createCredentialCipher,
  createModelResolver,
  createProviderAccountsService,
  toConfiguredAccounts,
  type ConfiguredAccountInput,
} from './provider-accounts/index.js'
import { createProviderRegistry } from './providers/index.js'
import { deriveKey } from './secrets/derive-key.js'
import type { Db } from './storage/index.js'

export interface ServicesDeps {
  db: Db
  clock: Clock
  masterKey: Buffer
  invalidation: CacheInvalidation
  adminPolicy?: Partial<AdminAuthPolicy>
  /** `config.providerAccounts`: read-only accounts served from memory. @default the built-in mock */
  providerAccounts?: readonly ConfiguredAccountInput[]
  /** Hears about background problems (a model table reload that failed, an unreadable credential). */
  onBackgroundError?: (err: unknown) => void
}

/**
 * Every domain service, wired once: the composition root (main.ts) and the test app build the
 * same graph, so tests exercise what production runs. Subscribes the key cache to the
 * invalidation transport; `stop()` unsubscribes.
 */
export function createServices(deps: ServicesDeps) {
  const { db, clock, masterKey, invalidation } = deps
  const auditLog = createAuditLog({ db, clock })
  const hashKey = deriveKey(masterKey, 'api-key-hash')
  const organizations = createOrganizationsService({ db, auditLog, clock, invalidation })
  const keys = createKeysService({ db, auditLog, clock, invalidation, hashKey })
  const onError = deps.onBackgroundError ? { onError: deps.onBackgroundError } : {}
  const providerAccounts = createProviderAccountsService({
    db,
    auditLog,
    clock,
    invalidation,
    cipher: createCredentialCipher(masterKey),
    // Throws a ConfigError listing every bad configured account: the gateway does not start.
    configured: toConfiguredAccounts(deps.providerAccounts ?? [BUILTIN_MOCK_PROVIDER_ACCOUNT], {
      nowMs: clock.nowMs(),
    }),
    afterChange: () => modelResolver.reload(),
    ...onError,
  })
  const modelResolver = createModelResolver({
    loadAccounts: providerAccounts.loadRoutableAccounts,
    invalidation,
    ...onError,
  })
  const keyCache = createKeyCache<AuthenticatedKey>({ clock })
  const unsubscribe = invalidation.subscribe((message) => invalidateKeyCache(keyCache, message))
  const auditSigner = createAuditSigner(masterKey)
  const auditCheckpointer = createAuditCheckpointer({ db, clock, signer: auditSigner })
  const admin: AdminApiServices = {
    ...createAdminServices({
      db,
      clock,
      auditLog,
      masterKey,
      ...(deps.adminPolicy ? { policy: deps.adminPolicy } : {}),
    }),
    organizations,
    keys,
    providerAccounts,
    audit: createAuditService({
      db,
      clock,
      auditLog,
      signer: auditSigner,
      checkpointer: auditCheckpointer,
    }),
  }
  return {
    auditLog,
    auditSigner,
    auditCheckpointer,
    admin,
    keyCache,
    keyAuthenticator: createKeyAuthenticator({ db, cache: keyCache, hashKey, clock }),
    /** Model → provider account, in memory; `await models.ready()` before serving. */
    models: modelResolver,
    /** Upstream adapters; main.ts closes their connection pools on shutdown. */
    providers: createProviderRegistry(),
    stop: () => {
      unsubscribe()
      modelResolver.stop()
    },
  }
}

export type Services = ReturnType<typeof createServices>
