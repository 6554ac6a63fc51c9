import { OrganizationNotFoundError, findOrganizationById } from '../organizations/index.js'
import type { Db } from '../storage/index.js'

/** Refuse a support session on an organization that does not exist (404, naming the ID). */
export async function assertOrganizationExists(db: Db, organizationId: string): Promise<void> {
  if (!(await findOrganizationById(db, organizationId)))
    throw new OrganizationNotFoundError(organizationId)
}
