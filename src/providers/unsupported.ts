import { InvalidRequestError } from '../lib/errors.js'

/**
 * Refusals for what an upstream cannot honour. Ferry never drops a parameter silently: it
 * translates it faithfully or answers 400 naming the `param`, with OpenAI's own codes
 * (`unsupported_parameter`, `unsupported_value`).
 */

/** The parameter has no equivalent on this upstream. */
export function unsupportedParameter(param: string, provider: string): InvalidRequestError {
  return new InvalidRequestError(
    `Unsupported parameter: '${param}' is not supported by the ${provider} upstream serving this model.`,
    { param, code: 'unsupported_parameter' },
  )
}

/** The parameter exists upstream, but not with this value. */
export function unsupportedValue(
  param: string,
  detail: { provider: string; reason: string },
): InvalidRequestError {
  return new InvalidRequestError(
    `Unsupported value: '${param}' ${detail.reason} with the ${detail.provider} upstream serving this model.`,
    { param, code: 'unsupported_value' },
  )
}

/** A request field Ferry must read has the wrong shape. */
export function invalidField(param: string, reason: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid value for '${param}': ${reason}`, { param })
}

/** The whole endpoint does not exist on this upstream (e.g. embeddings on Anthropic). */
export function unsupportedEndpoint(endpoint: string, provider: string): InvalidRequestError {
  return new InvalidRequestError(
    `The model is served by a ${provider} upstream, which does not support ${endpoint}.`,
    { param: 'model', code: 'unsupported_endpoint' },
  )
}
