import { adminRoute, type AdminRoute } from './admin-route.js'
import { EvidenceResponse, RequestIdParams } from './evidence.schemas.js'

export const getRequestEvidenceRoute = adminRoute({
  method: 'GET',
  url: '/evidence/requests/:requestId',
  summary:
    "A request's evidence in one document: usage event, ledger entries, route/budget/price versions with their content, the admin audit events that adjusted it and their chain proofs (records evidence.view)",
  // The evidence of a charge is billing data: support, finance and auditors all read it.
  permission: 'billing.read',
  readOnly: true,
  records: 'evidence.view',
  params: RequestIdParams,
  response: EvidenceResponse,
  // Inside a support session an admin works in that one organization (as for usage reads).
  handler: ({ params, services, audit, supportSession }) =>
    services.evidence.getEvidence(audit, params.requestId, {
      format: 'json',
      ...(supportSession ? { organizationId: supportSession.organizationId } : {}),
    }),
})

export const EVIDENCE_ROUTES: readonly AdminRoute[] = [getRequestEvidenceRoute]
