import { useQuery } from '@tanstack/react-query'
import { api, ApiError } from '../../api/client'
import { monthStartIso } from '../../format'
import { useCan } from '../../session'

export function useOrganization(organizationId: string) {
  return useQuery({
    queryKey: ['org', organizationId],
    queryFn: () => api.get('/admin/v1/orgs/{organizationId}', { path: { organizationId } }),
  })
}

export function useBalance(organizationId: string) {
  const can = useCan()
  return useQuery({
    queryKey: ['balance', organizationId],
    enabled: can('billing.read'),
    queryFn: () =>
      api.get('/admin/v1/orgs/{organizationId}/billing/balance', { path: { organizationId } }),
  })
}

/** The budget policy in force, or null when none was published (the API answers 404). */
export function useCurrentBudget(organizationId: string) {
  const can = useCan()
  return useQuery({
    queryKey: ['budget-current', organizationId],
    enabled: can('budgets.read'),
    queryFn: async () => {
      try {
        return await api.get('/admin/v1/orgs/{organizationId}/budget-policies/current', {
          path: { organizationId },
        })
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null
        throw err
      }
    },
  })
}

/** Month-to-date spend (live and test) from the usage aggregates. */
export function useMonthSpend(organizationId: string) {
  const can = useCan()
  return useQuery({
    queryKey: ['month-spend', organizationId],
    enabled: can('usage.read'),
    queryFn: async () => {
      const aggregates = await api.get('/admin/v1/usage/aggregates', {
        query: { organizationId, groupBy: 'key', from: monthStartIso() },
      })
      return aggregates.totals
    },
  })
}
