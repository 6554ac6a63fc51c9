import { FerryError, InvalidRequestError, NotFoundError } from '../lib/errors.js'
import type { PriceTarget } from './price-table.js'

function describeTarget(target: PriceTarget): string {
  return `${target.model} (account ${target.providerAccount}, kind ${target.providerKind})`
}

/**
 * 400 on publish: models that are served have no price. A missing price is a configuration
 * error, never a silent zero: add a row, or a `free: true` row for a deliberate zero.
 */
export class MissingPricesError extends InvalidRequestError {
  readonly missing: readonly PriceTarget[]
  constructor(missing: readonly PriceTarget[]) {
    super(
      `The price table has no price for ${missing.length} served model(s): ${missing
        .map(describeTarget)
        .join(', ')}. Add a row for each (or a row with "free": true for a deliberate zero price).`,
      { code: 'price_missing', param: 'rows' },
    )
    this.missing = missing
  }
}

/** 400: two rows for the same provider selector and model. */
export class DuplicatePriceRowError extends InvalidRequestError {
  constructor(keys: readonly string[]) {
    super(`The price table lists these provider/model pairs more than once: ${keys.join(', ')}.`, {
      code: 'price_row_duplicate',
      param: 'rows',
    })
  }
}

export class PriceTableNotFoundError extends NotFoundError {
  constructor(what: string) {
    super(`No price table ${what}.`, { code: 'price_table_not_found', param: 'version' })
  }
}

/**
 * 500 on the request path: a price table is in force but no row prices the model that would
 * serve this request (a model added after the last publish). Loud by design: Ferry never
 * serves a priced deployment's model at a silent zero. The operator publishes a price for it.
 */
export class PriceNotConfiguredError extends FerryError {
  readonly target: PriceTarget
  constructor(target: PriceTarget) {
    super(
      `No price is configured for model '${target.model}' on provider account '${target.providerAccount}'; the request was not sent. The operator must publish a price for it.`,
      { status: 500, type: 'server_error', code: 'price_not_configured' },
    )
    this.target = target
  }
}
