export {
  ORGANIZATION_STATUSES,
  type Organization,
  type OrganizationStatus,
  type RateLimits,
} from './organization.js'
export { ConflictError, OrganizationNotFoundError } from './organization-errors.js'
export {
  createOrganizationsService,
  type NewOrganization,
  type OrganizationPatch,
  type OrganizationsService,
} from './organizations.service.js'
export { findOrganizationById } from './organizations.repository.js'
