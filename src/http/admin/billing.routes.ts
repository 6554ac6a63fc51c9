import { invoiceCsvLines, type BillingActor } from '../../billing/index.js'
import { AdminDownload } from './admin-download.js'
import { adminRoute, type AdminRoute, type AdminRouteContext } from './admin-route.js'
import {
  AdjustmentBody,
  ApprovalListResponse,
  ApprovalResponse,
  BalanceResponse,
  LedgerEntryDetailResponse,
  LedgerEntryResponse,
  ApprovalIdParams,
  ApprovalRequestBody,
  CreditBody,
  EntryIdParams,
  InvoiceParams,
  InvoiceQuery,
  ListApprovalsQuery,
  ListEntriesQuery,
  OrganizationIdParams,
  RefundBody,
  VoidBody,
} from './billing.schemas.js'
import { toListPage } from './list-page.js'
import { listPageResponse } from './wire.schemas.js'

/** Money leaves as decimal strings of micros: JSON numbers would round it. */
function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(toWire)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]))
  return value
}

function actorOf(ctx: Pick<AdminRouteContext<unknown, unknown, unknown>, 'audit' | 'principal'>) {
  const actor: BillingActor = { audit: ctx.audit, adminId: ctx.principal.admin.adminId }
  return actor
}

export const getBalanceRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/billing/balance',
  summary: "An organization's prepaid balances (live and test): balance, held, available",
  permission: 'billing.read',
  readOnly: true,
  params: OrganizationIdParams,
  response: BalanceResponse,
  handler: async ({ params, services }) =>
    toWire(await services.billing.balance(params.organizationId)),
})

export const listEntriesRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/billing/entries',
  summary: "An organization's ledger entries, newest first (keyset pages)",
  permission: 'billing.read',
  readOnly: true,
  params: OrganizationIdParams,
  query: ListEntriesQuery,
  response: listPageResponse(LedgerEntryResponse),
  handler: async ({ params, query, services }) => {
    const rows = await services.billing.listEntries({
      organizationId: params.organizationId,
      ...(query.environment ? { environment: query.environment } : {}),
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.requestId ? { requestId: query.requestId } : {}),
      ...(query.after ? { before: query.after } : {}),
      limit: query.limit + 1,
    })
    return toWire(toListPage(rows, { limit: query.limit, cursorOf: (entry) => entry.entryId }))
  },
})

export const getEntryRoute = adminRoute({
  method: 'GET',
  url: '/billing/entries/:entryId',
  summary:
    'One ledger entry with its audit event, the entry it corrects, its corrections and the entries of its request',
  permission: 'billing.read',
  readOnly: true,
  params: EntryIdParams,
  response: LedgerEntryDetailResponse,
  handler: async ({ params, services }) => toWire(await services.billing.getEntry(params.entryId)),
})

export const creditRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/billing/credits',
  summary:
    'Add credit: a top-up, a promotional grant or an applied invoice (reason required; approval above the threshold)',
  permission: 'billing.write',
  action: 'billing.credit',
  params: OrganizationIdParams,
  body: CreditBody,
  successStatus: 201,
  response: LedgerEntryResponse,
  handler: async (ctx) =>
    toWire(
      await ctx.services.billing.credit(actorOf(ctx), {
        organizationId: ctx.params.organizationId,
        environment: ctx.body.environment,
        amountMicros: ctx.body.amountMicros,
        category: ctx.body.category,
        expiresAt: ctx.body.expiresAt ?? null,
        invoiceId: ctx.body.invoiceId ?? null,
        idempotencyKey: ctx.body.idempotencyKey,
        approvalId: ctx.body.approvalId ?? null,
      }),
    ),
})

export const refundRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/billing/refunds',
  summary:
    "Refund (part of) a request's usage charge, citing the request and its settlement entry (reason required)",
  permission: 'billing.write',
  action: 'billing.refund',
  params: OrganizationIdParams,
  body: RefundBody,
  successStatus: 201,
  response: LedgerEntryResponse,
  handler: async (ctx) =>
    toWire(
      await ctx.services.billing.refund(actorOf(ctx), {
        organizationId: ctx.params.organizationId,
        requestId: ctx.body.requestId,
        settlementEntryId: ctx.body.settlementEntryId,
        amountMicros: ctx.body.amountMicros,
        idempotencyKey: ctx.body.idempotencyKey,
        approvalId: ctx.body.approvalId ?? null,
      }),
    ),
})

export const voidRoute = adminRoute({
  method: 'POST',
  url: '/billing/entries/:entryId/void',
  summary: 'Reverse a credit, invoice application or adjustment by a new entry (reason required)',
  permission: 'billing.write',
  action: 'billing.void',
  params: EntryIdParams,
  body: VoidBody,
  successStatus: 201,
  response: LedgerEntryResponse,
  handler: async (ctx) =>
    toWire(
      await ctx.services.billing.void(actorOf(ctx), {
        entryId: ctx.params.entryId,
        idempotencyKey: ctx.body.idempotencyKey,
      }),
    ),
})

export const adjustmentRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/billing/adjustments',
  summary: 'A manual credit or debit (reason required; approval above the threshold)',
  permission: 'billing.write',
  action: 'billing.manual_adjustment',
  params: OrganizationIdParams,
  body: AdjustmentBody,
  successStatus: 201,
  response: LedgerEntryResponse,
  handler: async (ctx) =>
    toWire(
      await ctx.services.billing.adjust(actorOf(ctx), {
        organizationId: ctx.params.organizationId,
        environment: ctx.body.environment,
        direction: ctx.body.direction,
        amountMicros: ctx.body.amountMicros,
        idempotencyKey: ctx.body.idempotencyKey,
        approvalId: ctx.body.approvalId ?? null,
      }),
    ),
})

export const requestApprovalRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/billing/approvals',
  summary:
    "Ask for a second admin's approval of a credit, refund or adjustment above the threshold",
  permission: 'billing.write',
  action: 'billing.approval_request',
  params: OrganizationIdParams,
  body: ApprovalRequestBody,
  successStatus: 201,
  response: ApprovalResponse,
  handler: async (ctx) =>
    toWire(
      await ctx.services.billing.requestApproval(actorOf(ctx), {
        organizationId: ctx.params.organizationId,
        environment: ctx.body.environment,
        action: ctx.body.action,
        amountMicros: ctx.body.amountMicros,
      }),
    ),
})

export const grantApprovalRoute = adminRoute({
  method: 'POST',
  url: '/billing/approvals/:approvalId/grant',
  summary: 'Grant an approval requested by another admin (reason required; self-approval refused)',
  permission: 'billing.approve',
  action: 'billing.approval_grant',
  params: ApprovalIdParams,
  response: ApprovalResponse,
  handler: async (ctx) =>
    toWire(await ctx.services.billing.grantApproval(actorOf(ctx), ctx.params.approvalId)),
})

export const listApprovalsRoute = adminRoute({
  method: 'GET',
  url: '/billing/approvals',
  summary:
    'Billing approvals by state, newest first: by default those waiting for a second admin (pending, not expired)',
  permission: 'billing.read',
  readOnly: true,
  query: ListApprovalsQuery,
  response: ApprovalListResponse,
  handler: async ({ query, services }) => ({
    object: 'list',
    data: toWire(
      await services.billing.listApprovals({
        status: query.status,
        limit: query.limit,
        ...(query.organizationId !== undefined ? { organizationId: query.organizationId } : {}),
      }),
    ),
  }),
})

export const getApprovalRoute = adminRoute({
  method: 'GET',
  url: '/billing/approvals/:approvalId',
  summary: 'One billing approval',
  permission: 'billing.read',
  readOnly: true,
  params: ApprovalIdParams,
  response: ApprovalResponse,
  handler: async ({ params, services }) =>
    toWire(await services.billing.getApproval(params.approvalId)),
})

export const exportInvoiceRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/billing/invoices/:month',
  summary:
    "A month's invoice from the ledger, JSON or CSV (lines sum to closing − opening balance); records billing.invoice_export",
  permission: 'billing.read',
  readOnly: true,
  records: 'billing.invoice_export',
  params: InvoiceParams,
  query: InvoiceQuery,
  handler: async ({ params, query, services, audit }) => {
    const invoice = await services.billing.invoice(audit, {
      organizationId: params.organizationId,
      environment: query.environment,
      month: params.month,
      format: query.format,
    })
    if (query.format === 'json') return toWire(invoice)
    const lines = invoiceCsvLines(invoice)
    return new AdminDownload({
      contentType: 'text/csv; charset=utf-8',
      filename: `ferry-invoice-${params.organizationId}-${query.environment}-${params.month}.csv`,
      // The invoice is already built (one month, grouped lines): no database read is pending.
      // eslint-disable-next-line @typescript-eslint/require-await
      body: (async function* () {
        for (const line of lines) yield `${line}\n`
      })(),
    })
  },
})

export const BILLING_ROUTES: readonly AdminRoute[] = [
  getBalanceRoute,
  listEntriesRoute,
  getEntryRoute,
  creditRoute,
  refundRoute,
  voidRoute,
  adjustmentRoute,
  requestApprovalRoute,
  grantApprovalRoute,
  listApprovalsRoute,
  getApprovalRoute,
  exportInvoiceRoute,
]
