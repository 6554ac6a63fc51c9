import type { z } from 'zod'
import { FerryError } from '../lib/errors.js'
import type { ProviderAccount } from './upstream-context.js'

/**
 * 500: a provider account's settings do not fit its kind. The admin API validates settings
 * with `providerSettingsSchema` before saving, so this means a bypassed check or an old row.
 */
export class ProviderMisconfiguredError extends FerryError {
  /** The problems, `path: message`, for the log (never credentials: settings hold none). */
  readonly problems: readonly string[]

  constructor(accountLabel: string, problems: readonly string[]) {
    super(`Provider account '${accountLabel}' is misconfigured.`, {
      status: 500,
      type: 'server_error',
      code: 'provider_misconfigured',
    })
    this.problems = problems
  }
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({})
// Settings objects are immutable per account version, so parse each one once.
const parsedCache = new WeakMap<object, WeakMap<z.ZodType, unknown>>()

/** The account's settings parsed by the kind's schema (cached per settings object). */
export function accountSettings<Schema extends z.ZodType>(
  schema: Schema,
  account: ProviderAccount,
): z.output<Schema> {
  const raw = account.settings ?? EMPTY
  let bySchema = parsedCache.get(raw)
  if (bySchema === undefined) {
    bySchema = new WeakMap()
    parsedCache.set(raw, bySchema)
  }
  if (bySchema.has(schema)) return bySchema.get(schema) as z.output<Schema>
  const result = schema.safeParse(raw)
  if (!result.success) {
    throw new ProviderMisconfiguredError(
      account.label,
      result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`,
      ),
    )
  }
  bySchema.set(schema, result.data)
  return result.data
}
