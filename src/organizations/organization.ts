export const ORGANIZATION_STATUSES = ['active', 'suspended'] as const
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number]

/** Requests and tokens per minute; an absent limit is no limit. */
export interface RateLimits {
  requestsPerMinute?: number
  tokensPerMinute?: number
}

export interface Organization {
  organizationId: string
  name: string
  status: OrganizationStatus
  externalId: string | null
  metadata: Record<string, string>
  rateLimits: RateLimits
  createdAt: string
  updatedAt: string
}

/** The fields of an organization an audit diff may show (see AUDIT_TARGETS.organization). */
export function organizationDiff(org: Organization): Record<string, unknown> {
  return {
    name: org.name,
    status: org.status,
    externalId: org.externalId,
    metadata: org.metadata,
    rateLimits: org.rateLimits,
  }
}
