import { adminRoute, type AdminRoute } from './admin-route.js'
import {
  CreateProviderAccountBody,
  DeletedProviderAccountResponse,
  ProviderAccountIdParams,
  ProviderAccountListResponse,
  ProviderAccountResponse,
  SetCredentialBody,
  UpdateProviderAccountBody,
} from './providers.schemas.js'

export const listProviderAccountsRoute = adminRoute({
  method: 'GET',
  url: '/providers',
  summary: 'List provider accounts: stored ones, then those from the config file and environment',
  permission: 'providers.read',
  readOnly: true,
  response: ProviderAccountListResponse,
  handler: async ({ services }) => ({
    object: 'list',
    data: await services.providerAccounts.list(),
  }),
})

export const getProviderAccountRoute = adminRoute({
  method: 'GET',
  url: '/providers/:providerAccountId',
  summary: 'One provider account (its credential only as a label)',
  permission: 'providers.read',
  readOnly: true,
  params: ProviderAccountIdParams,
  response: ProviderAccountResponse,
  handler: ({ params, services }) => services.providerAccounts.get(params.providerAccountId),
})

export const createProviderAccountRoute = adminRoute({
  method: 'POST',
  url: '/providers',
  summary: 'Create a provider account; the credential is stored encrypted and never returned',
  permission: 'providers.write',
  action: 'provider.create',
  body: CreateProviderAccountBody,
  successStatus: 201,
  response: ProviderAccountResponse,
  handler: ({ body, services, audit }) => services.providerAccounts.create(audit, body),
})

export const updateProviderAccountRoute = adminRoute({
  method: 'PATCH',
  url: '/providers/:providerAccountId',
  summary:
    'Change a provider account (name, base URL, headers, timeouts, settings, models, status)',
  permission: 'providers.write',
  action: 'provider.update',
  params: ProviderAccountIdParams,
  body: UpdateProviderAccountBody,
  response: ProviderAccountResponse,
  handler: ({ params, body, services, audit }) =>
    services.providerAccounts.update(audit, params.providerAccountId, body),
})

export const setProviderCredentialRoute = adminRoute({
  method: 'PUT',
  url: '/providers/:providerAccountId/credential',
  summary: 'Replace (or, with null, remove) the credential of a provider account (reason required)',
  permission: 'providers.write',
  action: 'provider.credential_update',
  params: ProviderAccountIdParams,
  body: SetCredentialBody,
  response: ProviderAccountResponse,
  handler: ({ params, body, services, audit }) =>
    services.providerAccounts.setCredential(audit, params.providerAccountId, body.credential),
})

export const deleteProviderAccountRoute = adminRoute({
  method: 'DELETE',
  url: '/providers/:providerAccountId',
  summary: 'Delete a provider account and its credential (reason required)',
  permission: 'providers.write',
  action: 'provider.delete',
  params: ProviderAccountIdParams,
  response: DeletedProviderAccountResponse,
  handler: ({ params, services, audit }) =>
    services.providerAccounts.delete(audit, params.providerAccountId),
})

export const PROVIDER_ACCOUNT_ROUTES: readonly AdminRoute[] = [
  listProviderAccountsRoute,
  getProviderAccountRoute,
  createProviderAccountRoute,
  updateProviderAccountRoute,
  setProviderCredentialRoute,
  deleteProviderAccountRoute,
]
