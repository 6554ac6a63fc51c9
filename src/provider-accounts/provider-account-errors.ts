import { InvalidRequestError, NotFoundError } from '../lib/errors.js'
import { ConflictError } from '../organizations/index.js'
import type { FieldProblem } from './provider-account.js'

export class ProviderAccountNotFoundError extends NotFoundError {
  constructor(providerAccountId: string) {
    super(`No provider account with id '${providerAccountId}'.`, {
      code: 'provider_account_not_found',
      param: 'providerAccountId',
    })
  }
}

/** 409: another account (stored or configured) already has this name. */
export class ProviderNameTakenError extends ConflictError {
  constructor(name: string) {
    super(`A provider account named '${name}' already exists.`, {
      code: 'provider_name_taken',
      param: 'name',
    })
  }
}

/** 409: accounts from the config file or the environment are changed there, not here. */
export class ProviderAccountReadOnlyError extends ConflictError {
  constructor(name: string) {
    super(
      `Provider account '${name}' is declared in the configuration (config file or environment); change it there.`,
      { code: 'provider_account_read_only' },
    )
  }
}

/**
 * 409: the new base URL sends requests to another host while the account holds a credential.
 * The credential was given for the old host; moving it silently would hand it to the new one.
 */
export class ProviderCredentialBoundError extends ConflictError {
  constructor(name: string) {
    super(
      `Provider account '${name}' has a credential for its current host. To move it to another host, clear the credential first (PUT /providers/{id}/credential with null), change baseUrl, then set the new host's credential.`,
      { code: 'provider_credential_bound', param: 'baseUrl' },
    )
  }
}

/** 400 for the first problem of an account's fields, naming the field in `param`. */
export function invalidProviderAccount(problems: readonly FieldProblem[]): InvalidRequestError {
  const first = problems[0]
  return new InvalidRequestError(
    first ? `Invalid value for '${first.param}': ${first.message}` : 'Invalid provider account.',
    { param: first?.param ?? null, code: first?.code ?? null },
  )
}
