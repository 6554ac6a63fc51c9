import { FerryError, NotFoundError } from '../lib/errors.js'

/**
 * 401 for every key that does not work: missing, malformed, unknown, revoked, expired, or of a
 * suspended organization. Like OpenAI, the answer does not say which.
 */
export class InvalidApiKeyError extends FerryError {
  constructor(label?: string) {
    super(
      label
        ? `Incorrect API key provided: ${label}. Check the key, or ask your administrator for a new one.`
        : 'Incorrect API key provided. Check the key, or ask your administrator for a new one.',
      { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
    )
  }
}

/** 401 when no key was sent at all (OpenAI's wording, `code: null`). */
export class MissingApiKeyError extends FerryError {
  constructor() {
    super(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { status: 401, type: 'invalid_request_error', code: null },
    )
  }
}

export class ApiKeyNotFoundError extends NotFoundError {
  constructor(keyId: string) {
    super(`No API key with id '${keyId}'.`, { code: 'api_key_not_found', param: 'key_id' })
  }
}
