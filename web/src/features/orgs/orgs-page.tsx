import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { Organization } from '../../api/models'
import {
  ActionForm,
  DialogButton,
  Empty,
  ErrorNote,
  Loading,
  Page,
  TextField,
} from '../../components/ui'
import { formatMicros } from '../../format'
import { Link, navigate } from '../../router'
import { useCan } from '../../session'
import { useBalance, useCurrentBudget, useMonthSpend } from './org-queries'
import { budgetState } from './org-summary'

export function OrgsPage() {
  const can = useCan()
  const [search, setSearch] = useState('')
  const [after, setAfter] = useState<string[]>([])
  const cursor = after[after.length - 1]
  const orgs = useQuery({
    queryKey: ['orgs', search, cursor],
    queryFn: () =>
      api.get('/admin/v1/orgs', {
        query: { search: search || undefined, after: cursor, limit: 50 },
      }),
  })
  return (
    <Page title="Organizations" actions={can('orgs.write') ? <CreateOrganization /> : null}>
      <form role="search" onSubmit={(e) => e.preventDefault()} className="filters">
        <TextField
          label="Search organizations"
          type="search"
          placeholder="Name, external ID or org_…"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value)
            setAfter([])
          }}
        />
      </form>
      {orgs.isPending ? <Loading what="organizations" /> : null}
      <ErrorNote error={orgs.error} />
      {orgs.data && orgs.data.data.length === 0 ? (
        <Empty>
          {search
            ? `No organization matches “${search}”.`
            : 'No organizations yet. An organization is one of your customers: create one, then issue it an API key.'}
        </Empty>
      ) : null}
      {orgs.data && orgs.data.data.length > 0 ? (
        <table>
          <caption className="visually-hidden">Organizations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Status</th>
              <th scope="col">Balance (live)</th>
              <th scope="col">Month-to-date spend</th>
              <th scope="col">Budget</th>
            </tr>
          </thead>
          <tbody>
            {orgs.data.data.map((org) => (
              <OrgRow key={org.organizationId} org={org} />
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="pager">
        {after.length > 0 ? (
          <button type="button" className="secondary" onClick={() => setAfter(after.slice(0, -1))}>
            Previous page
          </button>
        ) : null}
        {orgs.data?.hasMore && orgs.data.nextCursor ? (
          <button
            type="button"
            className="secondary"
            onClick={() => setAfter([...after, orgs.data.nextCursor!])}
          >
            Next page
          </button>
        ) : null}
      </div>
    </Page>
  )
}

function OrgRow(props: { org: Organization }) {
  const { org } = props
  const balance = useBalance(org.organizationId)
  const budget = useCurrentBudget(org.organizationId)
  const spend = useMonthSpend(org.organizationId)
  const live = balance.data?.accounts.find((a) => a.environment === 'live')
  const state = budgetState({
    policy: budget.data ?? null,
    balance: balance.data,
    monthSpendMicros: spend.data?.costMicros,
  })
  return (
    <tr>
      <td>
        <Link to={`/orgs/${org.organizationId}`}>{org.name}</Link>
      </td>
      <td>
        <code>{org.organizationId}</code>
      </td>
      <td>
        <span className={`badge ${org.status}`}>{org.status}</span>
      </td>
      <td>
        {balance.isPending && balance.fetchStatus !== 'idle'
          ? '…'
          : formatMicros(live?.availableMicros ?? (balance.data ? '0' : null))}
      </td>
      <td>{spend.data ? formatMicros(spend.data.costMicros) : '—'}</td>
      <td>
        {budget.isSuccess ? <span className={`badge tone-${state.tone}`}>{state.label}</span> : '—'}
      </td>
    </tr>
  )
}

function CreateOrganization() {
  const client = useQueryClient()
  const [name, setName] = useState('')
  const [externalId, setExternalId] = useState('')
  const create = useMutation({
    mutationFn: () =>
      api.post('/admin/v1/orgs', { body: { name, ...(externalId ? { externalId } : {}) } }),
    onSuccess: async (org) => {
      await client.invalidateQueries({ queryKey: ['orgs'] })
      navigate(`/orgs/${org.organizationId}`)
    },
  })
  return (
    <DialogButton label="Create organization">
      {() => (
        <ActionForm submitLabel="Create organization" onSubmit={() => create.mutateAsync()}>
          <TextField
            label="Organization name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <TextField
            label="External ID (optional)"
            hint="Your own ID for this customer, for search and exports"
            value={externalId}
            onChange={(e) => setExternalId(e.target.value)}
          />
        </ActionForm>
      )}
    </DialogButton>
  )
}
