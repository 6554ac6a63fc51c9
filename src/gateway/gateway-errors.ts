import { FerryError, NotFoundError } from '../lib/errors.js'

/** 404 like OpenAI's for a model that does not exist or that this key may not use. */
export class ModelNotFoundError extends NotFoundError {
  constructor(model: string) {
    super(`The model \`${model}\` does not exist or you do not have access to it.`, {
      code: 'model_not_found',
      param: 'model',
    })
  }
}

/** 403: the key's scopes do not include this endpoint. */
export class EndpointNotAllowedError extends FerryError {
  constructor(endpoint: string) {
    super(
      `This API key is not allowed to call ${endpoint}. Ask your administrator to widen its scopes.`,
      { status: 403, type: 'invalid_request_error', code: 'endpoint_not_allowed' },
    )
  }
}
