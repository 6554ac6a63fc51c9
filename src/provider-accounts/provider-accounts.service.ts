import type { AuditAction, AuditContext, AuditLog, SecretValue } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import type { ProviderAccount, UpstreamAddressPolicy } from '../providers/index.js'
import type { Db } from '../storage/index.js'
import type { ConfiguredAccount } from './configured-accounts.js'
import { credentialLabel, type CredentialCipher } from './credential-cipher.js'
import {
  PROVIDER_ACCOUNT_ID_PREFIX,
  ProviderAccountFieldsSchema,
  checkProviderAccount,
  dedupeModels,
  normalizeBaseUrl,
  originOf,
  providerAccountDiff,
  type FieldProblem,
  type ProviderAccountFields,
  type ProviderAccountInfo,
} from './provider-account.js'
import {
  ProviderAccountNotFoundError,
  ProviderAccountReadOnlyError,
  ProviderCredentialBoundError,
  ProviderNameTakenError,
  invalidProviderAccount,
} from './provider-account-errors.js'
import {
  deleteProviderAccountRow,
  fieldsToColumns,
  findProviderAccountRow,
  findProviderAccountRowByName,
  findProviderAccountRows,
  insertProviderAccount,
  rowToProviderAccount,
  updateProviderAccountRow,
  type ProviderAccountRow,
} from './provider-accounts.repository.js'
import type { RoutableAccount } from './resolve-model.js'
import { formatParamPath } from '../lib/param-path.js'

export interface ProviderAccountsServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
  cipher: CredentialCipher
  /** Which hosts a base URL may point at (`providers.allowPrivateBaseUrls` …). @default private allowed */
  addressPolicy?: UpstreamAddressPolicy
  /** Accounts from the configuration (see `toConfiguredAccounts`); read-only here. @default [] */
  configured?: readonly ConfiguredAccount[]
  /**
   * Awaited after each committed change (the resolver's reload), so that when a call returns,
   * this instance already routes by the new state. Other instances follow the invalidation.
   */
  afterChange?: () => Promise<void>
  /** Hears about a stored credential that does not decrypt (the account is then not routed). */
  onError?: (err: unknown) => void
}

/** A new account: its fields (defaults: no models, no headers, active) and an optional credential. */
export type NewProviderAccount = Pick<ProviderAccountFields, 'name' | 'kind' | 'baseUrl'> &
  Partial<Omit<ProviderAccountFields, 'name' | 'kind' | 'baseUrl'>> & {
    /** Write-only: stored encrypted, shown only as its label. */
    credential?: string | null
  }

/** What an update may change. The kind is fixed: another kind is another account. */
export type ProviderAccountPatch = Partial<Omit<ProviderAccountFields, 'kind'>>

export interface DeletedProviderAccount {
  providerAccountId: string
  deleted: true
}

const fieldsOf = (info: ProviderAccountInfo): ProviderAccountFields => ({
  name: info.name,
  kind: info.kind,
  baseUrl: info.baseUrl,
  models: info.models,
  aliases: info.aliases,
  extraHeaders: info.extraHeaders,
  timeouts: info.timeouts,
  settings: info.settings,
  status: info.status,
})

/** Apply the same rules as the config loader; 400 naming the first bad field. */
function validateFields(
  fields: ProviderAccountFields,
  addressPolicy: UpstreamAddressPolicy | undefined,
): ProviderAccountFields {
  const parsed = ProviderAccountFieldsSchema.safeParse(fields)
  if (!parsed.success) {
    const problems: FieldProblem[] = parsed.error.issues.map((issue) => ({
      param: formatParamPath(issue.path) || 'body',
      message: issue.message,
    }))
    throw invalidProviderAccount(problems)
  }
  const valid: ProviderAccountFields = {
    ...parsed.data,
    baseUrl: normalizeBaseUrl(parsed.data.baseUrl),
    models: dedupeModels(parsed.data.models),
  }
  const problems = checkProviderAccount(valid, addressPolicy)
  if (problems.length > 0) throw invalidProviderAccount(problems)
  return valid
}

/** A frozen adapter-ready account (adapters cache parsed settings per object). */
function toAdapterAccount(info: ProviderAccountInfo, credential: string | null): ProviderAccount {
  return Object.freeze({
    id: info.providerAccountId,
    label: info.name,
    kind: info.kind,
    baseUrl: info.baseUrl,
    credential,
    extraHeaders: Object.freeze({ ...info.extraHeaders }),
    timeouts: Object.freeze({ ...info.timeouts }),
    settings: Object.freeze({ ...info.settings }),
  })
}

function toRoutable(info: ProviderAccountInfo, credential: string | null): RoutableAccount {
  return Object.freeze({
    account: toAdapterAccount(info, credential),
    name: info.name,
    models: info.models,
    aliases: info.aliases,
    status: info.status,
    source: info.source,
    createdAtMs: Date.parse(info.createdAt),
  })
}

/**
 * Provider accounts: the stored ones (created, changed and deleted through the admin API, each
 * an audited action) and the configured ones (read-only). Credentials are write-only: sealed
 * before they touch the database, never returned, logged or put in an audit diff (the diff
 * carries a reference: label and hash prefix).
 */
export function createProviderAccountsService(deps: ProviderAccountsServiceDeps) {
  const { db, auditLog, clock, cipher } = deps
  const configured = deps.configured ?? []
  const configuredById = new Map(configured.map((c) => [c.info.providerAccountId, c]))
  const configuredNames = new Set(configured.map((c) => c.info.name))
  // Built once: configured accounts never change while the process runs.
  const configuredRoutable = configured.map((c) =>
    toRoutable(c.info, c.credential === null ? null : c.credential.reveal()),
  )

  async function mustFindRow(providerAccountId: string, reader: Db = db) {
    const row = await findProviderAccountRow(reader, providerAccountId)
    if (!row) throw new ProviderAccountNotFoundError(providerAccountId)
    return row
  }

  /** The stored account to change; configured ones are refused before any work. */
  function assertStored(providerAccountId: string) {
    const fromConfig = configuredById.get(providerAccountId)
    if (fromConfig) throw new ProviderAccountReadOnlyError(fromConfig.info.name)
  }

  async function assertNameFree(reader: Db, name: string, self?: string) {
    const holder = await findProviderAccountRowByName(reader, name)
    if ((holder && holder.provider_account_id !== self) || configuredNames.has(name))
      throw new ProviderNameTakenError(name)
  }

  function secretOf(credential: string, info: ProviderAccountInfo): SecretValue {
    return { secret: credential, id: info.providerAccountId, label: info.credentialLabel ?? '' }
  }

  /** Run one audited change of a stored account, publish after commit, then refresh locally. */
  async function change<T>(
    context: AuditContext,
    options: {
      action: AuditAction
      providerAccountId: string
      apply: (tx: Db, before: ProviderAccountRow, now: string) => Promise<ChangeOutcome<T>>
    },
  ): Promise<T> {
    assertStored(options.providerAccountId)
    const result = await publishAfterCommit(deps.invalidation, (invalidate) =>
      auditLog.run(context, options.action, async (tx) => {
        const beforeRow = await mustFindRow(options.providerAccountId, tx)
        const before = rowToProviderAccount(beforeRow)
        const outcome = await options.apply(tx, beforeRow, toIsoTimestamp(clock.nowMs()))
        invalidate({ kind: 'provider-account', id: options.providerAccountId })
        return {
          result: outcome.result,
          event: {
            target: { type: 'provider', id: before.providerAccountId, label: before.name },
            before: providerAccountDiff(before),
            after: outcome.after,
          },
        }
      }),
    )
    await deps.afterChange?.()
    return result
  }

  return {
    /** Stored accounts (oldest first), then configured ones in declaration order. */
    list: async (): Promise<ProviderAccountInfo[]> => [
      ...(await findProviderAccountRows(db)).map(rowToProviderAccount),
      ...configured.map((c) => c.info),
    ],

    get: async (providerAccountId: string): Promise<ProviderAccountInfo> => {
      const fromConfig = configuredById.get(providerAccountId)
      if (fromConfig) return fromConfig.info
      return rowToProviderAccount(await mustFindRow(providerAccountId))
    },

    create: async (
      context: AuditContext,
      input: NewProviderAccount,
    ): Promise<ProviderAccountInfo> => {
      const fields = validateFields(
        {
          models: [],
          aliases: {},
          extraHeaders: {},
          timeouts: {},
          settings: {},
          status: 'active',
          ...withoutCredential(input),
        },
        deps.addressPolicy,
      )
      const credential = input.credential ?? null
      const info = await publishAfterCommit(deps.invalidation, (invalidate) =>
        auditLog.run(context, 'provider.create', async (tx) => {
          await assertNameFree(tx, fields.name)
          const nowMs = clock.nowMs()
          const now = toIsoTimestamp(nowMs)
          const providerAccountId = newId(PROVIDER_ACCOUNT_ID_PREFIX, nowMs)
          const row: ProviderAccountRow = {
            provider_account_id: providerAccountId,
            ...fieldsToColumns(fields),
            credential_ciphertext:
              credential === null ? null : cipher.seal({ credential, providerAccountId }),
            credential_label: credential === null ? null : credentialLabel(credential),
            source: 'database',
            created_at: now,
            updated_at: now,
          }
          await insertProviderAccount(tx, row)
          invalidate({ kind: 'provider-account', id: providerAccountId })
          const created = rowToProviderAccount(row)
          return {
            result: created,
            event: {
              target: { type: 'provider', id: providerAccountId, label: created.name },
              after: {
                ...providerAccountDiff(created),
                ...(credential === null ? {} : { credential: secretOf(credential, created) }),
              },
            },
          }
        }),
      )
      await deps.afterChange?.()
      return info
    },

    /**
     * Change fields of a stored account. A base URL on another host is refused while the
     * account holds a credential: the credential was given for the old host.
     */
    update: (context: AuditContext, providerAccountId: string, patch: ProviderAccountPatch) =>
      change(context, {
        action: 'provider.update',
        providerAccountId,
        apply: async (tx, beforeRow, now) => {
          const before = rowToProviderAccount(beforeRow)
          const fields = validateFields(
            { ...fieldsOf(before), ...definedOnly(patch) },
            deps.addressPolicy,
          )
          if (fields.name !== before.name) await assertNameFree(tx, fields.name, providerAccountId)
          if (before.hasCredential && originOf(fields.baseUrl) !== originOf(before.baseUrl))
            throw new ProviderCredentialBoundError(before.name)
          await updateProviderAccountRow(tx, {
            providerAccountId,
            set: { ...fieldsToColumns(fields), updated_at: now },
          })
          const after: ProviderAccountInfo = { ...before, ...fields, updatedAt: now }
          return { result: after, after: providerAccountDiff(after) }
        },
      }),

    /** Replace the credential (null removes it). High-risk: the caller gives a reason. */
    setCredential: (context: AuditContext, providerAccountId: string, credential: string | null) =>
      change(context, {
        action: 'provider.credential_update',
        providerAccountId,
        apply: async (tx, beforeRow, now) => {
          const before = rowToProviderAccount(beforeRow)
          const label = credential === null ? null : credentialLabel(credential)
          await updateProviderAccountRow(tx, {
            providerAccountId,
            set: {
              credential_ciphertext:
                credential === null ? null : cipher.seal({ credential, providerAccountId }),
              credential_label: label,
              updated_at: now,
            },
          })
          const after: ProviderAccountInfo = {
            ...before,
            hasCredential: credential !== null,
            credentialLabel: label,
            updatedAt: now,
          }
          return {
            result: after,
            after: {
              ...providerAccountDiff(after),
              ...(credential === null ? {} : { credential: secretOf(credential, after) }),
            },
          }
        },
      }),

    /** Delete a stored account and its credential. High-risk: the caller gives a reason. */
    delete: (context: AuditContext, providerAccountId: string) =>
      change<DeletedProviderAccount>(context, {
        action: 'provider.delete',
        providerAccountId,
        apply: async (tx) => {
          await deleteProviderAccountRow(tx, providerAccountId)
          return { result: { providerAccountId, deleted: true }, after: null }
        },
      }),

    /**
     * Every account, adapter-ready with its credential decrypted, for the model resolver. A
     * stored credential that does not decrypt leaves its account out (and is reported).
     */
    loadRoutableAccounts: async (): Promise<RoutableAccount[]> => {
      const stored: RoutableAccount[] = []
      for (const row of await findProviderAccountRows(db)) {
        let credential: string | null = null
        if (row.credential_ciphertext !== null) {
          try {
            credential = cipher.open({
              sealed: row.credential_ciphertext,
              providerAccountId: row.provider_account_id,
            })
          } catch {
            deps.onError?.(
              new Error(
                `provider account ${row.provider_account_id} (${row.name}): its credential cannot be decrypted with this master key; the account is not routed`,
              ),
            )
            continue
          }
        }
        stored.push(toRoutable(rowToProviderAccount(row), credential))
      }
      return [...stored, ...configuredRoutable]
    },
  }
}

interface ChangeOutcome<T> {
  result: T
  after: Record<string, unknown> | null
}

function withoutCredential(input: NewProviderAccount): Omit<NewProviderAccount, 'credential'> {
  const { credential: _credential, ...fields } = input
  return fields
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as Partial<T>
}

export type ProviderAccountsService = ReturnType<typeof createProviderAccountsService>
