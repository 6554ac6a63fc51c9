import { FerryError, NotFoundError } from '../lib/errors.js'

export class OrganizationNotFoundError extends NotFoundError {
  constructor(organizationId: string) {
    super(`No organization with id '${organizationId}'.`, {
      code: 'organization_not_found',
      param: 'organization_id',
    })
  }
}

/** 409: the request conflicts with the current state (a duplicate external ID, a repeated suspend). */
export class ConflictError extends FerryError {
  constructor(message: string, options: { code: string; param?: string | null }) {
    super(message, {
      status: 409,
      type: 'invalid_request_error',
      code: options.code,
      param: options.param ?? null,
    })
  }
}
