import { adminRoute, type AdminRoute } from './admin-route.js'
import { toListPage } from './list-page.js'
import {
  CreateOrganizationBody,
  ListOrganizationsQuery,
  OrganizationIdParams,
  OrganizationResponse,
  OrganizationSummaryPageResponse,
  UpdateOrganizationBody,
} from './orgs.schemas.js'
import { listPageResponse } from './wire.schemas.js'

export const listOrganizationsRoute = adminRoute({
  method: 'GET',
  url: '/orgs',
  summary: 'List organizations, newest first (search by name, external ID or ID)',
  permission: 'orgs.read',
  readOnly: true,
  query: ListOrganizationsQuery,
  response: listPageResponse(OrganizationResponse),
  handler: async ({ query, services }) => {
    const rows = await services.organizations.list({
      ...(query.search ? { search: query.search } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.after ? { afterId: query.after } : {}),
      limit: query.limit + 1,
    })
    return toListPage(rows, { limit: query.limit, cursorOf: (org) => org.organizationId })
  },
})

/** Which parts of a summary a caller may read, by permission. */
const SUMMARY_PARTS = [
  { part: 'balance', permission: 'billing.read' },
  { part: 'spend', permission: 'usage.read' },
  { part: 'budget', permission: 'budgets.read' },
] as const

export const listOrganizationSummariesRoute = adminRoute({
  method: 'GET',
  url: '/orgs/summary',
  summary:
    'Organizations with live and test balance, month-to-date spend and budget state (one query per page)',
  permission: 'orgs.read',
  readOnly: true,
  query: ListOrganizationsQuery,
  response: OrganizationSummaryPageResponse,
  handler: async ({ query, services, permissions }) => {
    const rows = await services.organizationSummaries.list({
      ...(query.search ? { search: query.search } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.after ? { afterId: query.after } : {}),
      limit: query.limit + 1,
    })
    const page = toListPage(rows, {
      limit: query.limit,
      cursorOf: (row) => row.organization.organizationId,
    })
    const may = (part: (typeof SUMMARY_PARTS)[number]['part']) =>
      permissions.has(SUMMARY_PARTS.find((p) => p.part === part)!.permission)
    const text = (value: bigint | null) => (value === null ? null : value.toString())
    const environment = (env: (typeof rows)[number]['live']) => ({
      balanceMicros: may('balance') ? text(env.balanceMicros) : null,
      monthToDateSpendMicros: may('spend') ? env.monthToDateSpendMicros.toString() : null,
      budget: may('budget') ? env.budget : null,
    })
    return {
      ...page,
      data: page.data.map((row) => ({
        organization: row.organization,
        month: row.month,
        budgetPolicy: may('budget') ? row.budgetPolicy : null,
        monthToDateTokens: may('spend') ? row.monthToDateTokens.toString() : null,
        live: environment(row.live),
        test: environment(row.test),
      })),
      withheld: SUMMARY_PARTS.filter((p) => !permissions.has(p.permission)).map((p) => p.part),
    }
  },
})

export const getOrganizationRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId',
  summary: 'One organization',
  permission: 'orgs.read',
  readOnly: true,
  params: OrganizationIdParams,
  response: OrganizationResponse,
  handler: ({ params, services }) => services.organizations.get(params.organizationId),
})

export const createOrganizationRoute = adminRoute({
  method: 'POST',
  url: '/orgs',
  summary: 'Create an organization',
  permission: 'orgs.write',
  action: 'organization.create',
  body: CreateOrganizationBody,
  successStatus: 201,
  response: OrganizationResponse,
  handler: ({ body, services, audit }) =>
    services.organizations.create(audit, {
      name: body.name,
      ...(body.externalId !== undefined ? { externalId: body.externalId } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.rateLimits ? { rateLimits: body.rateLimits } : {}),
    }),
})

export const updateOrganizationRoute = adminRoute({
  method: 'PATCH',
  url: '/orgs/:organizationId',
  summary: 'Rename an organization or change its external ID, metadata or rate limits',
  permission: 'orgs.write',
  action: 'organization.update',
  params: OrganizationIdParams,
  body: UpdateOrganizationBody,
  response: OrganizationResponse,
  handler: ({ params, body, services, audit }) =>
    services.organizations.update(audit, params.organizationId, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.externalId !== undefined ? { externalId: body.externalId } : {}),
      ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
      ...(body.rateLimits !== undefined ? { rateLimits: body.rateLimits } : {}),
    }),
})

export const suspendOrganizationRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/suspend',
  summary: 'Suspend an organization: every key is refused at once (reason required)',
  permission: 'orgs.write',
  action: 'organization.suspend',
  params: OrganizationIdParams,
  response: OrganizationResponse,
  handler: ({ params, services, audit }) =>
    services.organizations.suspend(audit, params.organizationId),
})

export const reactivateOrganizationRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/reactivate',
  summary: 'Reactivate a suspended organization (reason required)',
  permission: 'orgs.write',
  action: 'organization.reactivate',
  params: OrganizationIdParams,
  response: OrganizationResponse,
  handler: ({ params, services, audit }) =>
    services.organizations.reactivate(audit, params.organizationId),
})

export const ORGANIZATION_ROUTES: readonly AdminRoute[] = [
  listOrganizationsRoute,
  listOrganizationSummariesRoute,
  getOrganizationRoute,
  createOrganizationRoute,
  updateOrganizationRoute,
  suspendOrganizationRoute,
  reactivateOrganizationRoute,
]
