import { adminRoute, type AdminRoute } from './admin-route.js'
import {
  BudgetOrganizationParams,
  BudgetPolicyDiffResponse,
  BudgetPolicyResponse,
  BudgetScopeQuery,
  BudgetVersionParams,
  DiffBudgetPoliciesQuery,
  ListBudgetPoliciesQuery,
  PublishBudgetPolicyBody,
  RollbackBudgetPolicyBody,
  UpdateHardCapBody,
  toBudgetPolicyResponse,
} from './budgets.schemas.js'
import { toListPage } from './list-page.js'
import { listPageResponse } from './wire.schemas.js'
import { BudgetPolicyNotFoundError } from '../../budgets/index.js'

const scopeOf = (organizationId: string, keyId: string | undefined) => ({
  organizationId,
  keyId: keyId ?? null,
})

export const listBudgetPoliciesRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/budget-policies',
  summary: "List the versions of an organization's (or, with keyId, a key's) budget policy",
  permission: 'budgets.read',
  readOnly: true,
  params: BudgetOrganizationParams,
  query: ListBudgetPoliciesQuery,
  response: listPageResponse(BudgetPolicyResponse),
  handler: async ({ params, query, services }) => {
    const versions = await services.budgetPolicies.listVersions({
      ...scopeOf(params.organizationId, query.keyId),
      limit: query.limit + 1,
      ...(query.after !== undefined ? { beforeVersion: query.after } : {}),
    })
    return toListPage(versions.map(toBudgetPolicyResponse), {
      limit: query.limit,
      cursorOf: (v) => String(v.version),
    })
  },
})

export const getCurrentBudgetPolicyRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/budget-policies/current',
  summary: 'The budget policy version in force (404 when there is none)',
  permission: 'budgets.read',
  readOnly: true,
  params: BudgetOrganizationParams,
  query: BudgetScopeQuery,
  response: BudgetPolicyResponse,
  handler: async ({ params, query, services }) => {
    const current = await services.budgetPolicies.getCurrent(
      scopeOf(params.organizationId, query.keyId),
    )
    if (current === null) throw new BudgetPolicyNotFoundError('is in force')
    return toBudgetPolicyResponse(current)
  },
})

export const diffBudgetPoliciesRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/budget-policies/diff',
  summary: 'Field-by-field differences between two versions of a budget policy',
  permission: 'budgets.read',
  readOnly: true,
  params: BudgetOrganizationParams,
  query: DiffBudgetPoliciesQuery,
  response: BudgetPolicyDiffResponse,
  handler: async ({ params, query, services }) => {
    const diff = await services.budgetPolicies.diff({
      ...scopeOf(params.organizationId, query.keyId),
      fromVersion: query.from,
      toVersion: query.to,
    })
    return {
      object: 'budget_policy_diff',
      from: toBudgetPolicyResponse(diff.from),
      to: toBudgetPolicyResponse(diff.to),
      changes: diff.changes,
    }
  },
})

export const getBudgetPolicyRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/budget-policies/:version',
  summary: 'One version of a budget policy',
  permission: 'budgets.read',
  readOnly: true,
  params: BudgetVersionParams,
  query: BudgetScopeQuery,
  response: BudgetPolicyResponse,
  handler: async ({ params, query, services }) =>
    toBudgetPolicyResponse(
      await services.budgetPolicies.getVersion({
        ...scopeOf(params.organizationId, query.keyId),
        version: params.version,
      }),
    ),
})

export const publishBudgetPolicyRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/budget-policies',
  summary:
    'Publish a new budget policy version (limits, thresholds, overage, rate limits); the hard cap is kept',
  permission: 'budgets.write',
  action: 'budget_policy.publish',
  params: BudgetOrganizationParams,
  body: PublishBudgetPolicyBody,
  successStatus: 201,
  response: BudgetPolicyResponse,
  handler: async ({ params, body, services, audit }) => {
    const { keyId, ...content } = body
    return toBudgetPolicyResponse(
      await services.budgetPolicies.publish(audit, {
        ...scopeOf(params.organizationId, keyId),
        content,
      }),
    )
  },
})

export const rollbackBudgetPolicyRoute = adminRoute({
  method: 'POST',
  url: '/orgs/:organizationId/budget-policies/rollback',
  summary: "Re-publish an earlier version's content as a new version (reason required)",
  permission: 'budgets.write',
  action: 'budget_policy.rollback',
  params: BudgetOrganizationParams,
  body: RollbackBudgetPolicyBody,
  successStatus: 201,
  response: BudgetPolicyResponse,
  handler: async ({ params, body, services, audit }) =>
    toBudgetPolicyResponse(
      await services.budgetPolicies.rollback(audit, {
        ...scopeOf(params.organizationId, body.keyId),
        toVersion: body.toVersion,
      }),
    ),
})

export const updateHardCapRoute = adminRoute({
  method: 'PUT',
  url: '/orgs/:organizationId/budget-policies/hard-cap',
  summary: 'Set or (null) remove the monthly hard cap: a new policy version (reason required)',
  permission: 'budgets.write',
  action: 'budget_policy.hard_cap_update',
  params: BudgetOrganizationParams,
  body: UpdateHardCapBody,
  response: BudgetPolicyResponse,
  handler: async ({ params, body, services, audit }) =>
    toBudgetPolicyResponse(
      await services.budgetPolicies.updateHardCap(audit, {
        ...scopeOf(params.organizationId, body.keyId),
        hardCapMicros: body.hardCapMicros === null ? null : BigInt(body.hardCapMicros),
      }),
    ),
})

export const BUDGET_ROUTES: readonly AdminRoute[] = [
  listBudgetPoliciesRoute,
  getCurrentBudgetPolicyRoute,
  diffBudgetPoliciesRoute,
  getBudgetPolicyRoute,
  publishBudgetPolicyRoute,
  rollbackBudgetPolicyRoute,
  updateHardCapRoute,
]
