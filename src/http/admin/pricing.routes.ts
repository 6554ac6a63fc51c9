import { PriceTableNotFoundError } from '../../pricing/index.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import { toListPage } from './list-page.js'
import {
  ListPriceTablesQuery,
  OrganizationPriceParams,
  OrganizationPriceVersionParams,
  PriceCoverageResponse,
  PriceTableListResponse,
  PriceTableResponse,
  PriceTableVersionParams,
  PublishPriceOverrideBody,
  PublishPriceTableBody,
  toCoverageResponse,
  toPriceTableResponse,
} from './pricing.schemas.js'

export const listPriceTablesRoute = adminRoute({
  method: 'GET',
  url: '/price-tables',
  summary: 'List the versions of the base price table, newest first',
  permission: 'pricing.read',
  readOnly: true,
  query: ListPriceTablesQuery,
  response: PriceTableListResponse,
  handler: async ({ query, services }) => {
    const versions = await services.pricing.listVersions({
      organizationId: null,
      limit: query.limit + 1,
      ...(query.after !== undefined ? { beforeVersion: query.after } : {}),
    })
    return toListPage(versions.map(toPriceTableResponse), {
      limit: query.limit,
      cursorOf: (v) => String(v.version),
    })
  },
})

export const getCurrentPriceTableRoute = adminRoute({
  method: 'GET',
  url: '/price-tables/current',
  summary: 'The base price table in force (404 while none was ever published)',
  permission: 'pricing.read',
  readOnly: true,
  response: PriceTableResponse,
  handler: async ({ services }) => {
    const current = await services.pricing.getCurrent(null)
    if (current === null) throw new PriceTableNotFoundError('is in force: none was published yet')
    return toPriceTableResponse(current)
  },
})

export const getPriceCoverageRoute = adminRoute({
  method: 'GET',
  url: '/price-tables/coverage',
  summary: 'Every served model and whether the base price table in force prices it',
  permission: 'pricing.read',
  readOnly: true,
  response: PriceCoverageResponse,
  handler: async ({ services }) => toCoverageResponse(await services.pricing.coverage()),
})

export const getPriceTableRoute = adminRoute({
  method: 'GET',
  url: '/price-tables/:version',
  summary: 'One version of the base price table',
  permission: 'pricing.read',
  readOnly: true,
  params: PriceTableVersionParams,
  response: PriceTableResponse,
  handler: async ({ params, services }) =>
    toPriceTableResponse(
      await services.pricing.getVersion({ organizationId: null, version: params.version }),
    ),
})

export const publishPriceTableRoute = adminRoute({
  method: 'POST',
  url: '/price-tables',
  summary:
    'Publish a new version of the base price table (400 price_missing naming every served model without a price)',
  permission: 'pricing.write',
  action: 'price_table.publish',
  body: PublishPriceTableBody,
  successStatus: 201,
  response: PriceTableResponse,
  handler: async ({ body, services, audit }) =>
    toPriceTableResponse(
      await services.pricing.publish(audit, { rows: body.rows, note: body.note ?? null }),
    ),
})

export const listPriceOverridesRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/price-overrides',
  summary: "List the versions of an organization's price override, newest first",
  permission: 'pricing.read',
  readOnly: true,
  params: OrganizationPriceParams,
  query: ListPriceTablesQuery,
  response: PriceTableListResponse,
  handler: async ({ params, query, services }) => {
    const versions = await services.pricing.listVersions({
      organizationId: params.organizationId,
      limit: query.limit + 1,
      ...(query.after !== undefined ? { beforeVersion: query.after } : {}),
    })
    return toListPage(versions.map(toPriceTableResponse), {
      limit: query.limit,
      cursorOf: (v) => String(v.version),
    })
  },
})

export const getPriceOverrideRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/price-overrides/:version',
  summary: "One version of an organization's price override",
  permission: 'pricing.read',
  readOnly: true,
  params: OrganizationPriceVersionParams,
  response: PriceTableResponse,
  handler: async ({ params, services }) =>
    toPriceTableResponse(
      await services.pricing.getVersion({
        organizationId: params.organizationId,
        version: params.version,
      }),
    ),
})

export const publishPriceOverrideRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/price-overrides',
  summary:
    "Publish a new version of an organization's price override: its own rows and/or a markup in basis points",
  permission: 'pricing.write',
  action: 'price_table.publish',
  params: OrganizationPriceParams,
  body: PublishPriceOverrideBody,
  successStatus: 201,
  response: PriceTableResponse,
  handler: async ({ params, body, services, audit }) =>
    toPriceTableResponse(
      await services.pricing.publishOverride(audit, {
        organizationId: params.organizationId,
        rows: body.rows,
        markupBps: body.markupBps,
        note: body.note ?? null,
      }),
    ),
})

export const PRICING_ROUTES: readonly AdminRoute[] = [
  listPriceTablesRoute,
  getCurrentPriceTableRoute,
  getPriceCoverageRoute,
  getPriceTableRoute,
  publishPriceTableRoute,
  listPriceOverridesRoute,
  getPriceOverrideRoute,
  publishPriceOverrideRoute,
]
