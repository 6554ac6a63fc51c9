import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, type ResponseOf } from '../../api/client'
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

type Environment = 'live' | 'test'
type Summary = ResponseOf<'get', '/admin/v1/orgs/summary'>['data'][number]

/** How a budget decision reads in the list, and its colour. */
const BUDGET_LABELS: Record<string, { label: string; tone: 'ok' | 'warn' | 'bad' | 'none' }> = {
  no_budget_policy: { label: 'no budget policy', tone: 'none' },
  within_budget: { label: 'within budget', tone: 'ok' },
  insufficient_balance: { label: 'balance exhausted', tone: 'bad' },
  hard_cap_reached: { label: 'hard cap reached', tone: 'bad' },
  balance_below_block_threshold: { label: 'below block threshold', tone: 'bad' },
  monthly_spend_cap_reached: { label: 'spend cap reached', tone: 'bad' },
  monthly_token_limit_reached: { label: 'token limit reached', tone: 'bad' },
  balance_below_downgrade_threshold: { label: 'below downgrade threshold', tone: 'warn' },
  balance_below_warn_threshold: { label: 'below warn threshold', tone: 'warn' },
  monthly_spend_cap_overage_billed: { label: 'over spend cap (billed)', tone: 'warn' },
  monthly_token_limit_overage_billed: { label: 'over token limit (billed)', tone: 'warn' },
}

export function OrgsPage() {
  const can = useCan()
  const [search, setSearch] = useState('')
  const [environment, setEnvironment] = useState<Environment>('live')
  const [after, setAfter] = useState<string[]>([])
  const cursor = after[after.length - 1]
  // One request per page: balances, spend and budget state come with the list.
  const orgs = useQuery({
    queryKey: ['orgs', 'summary', search, cursor],
    queryFn: () =>
      api.get('/admin/v1/orgs/summary', {
        query: { search: search || undefined, after: cursor, limit: 50 },
      }),
  })
  const withheld = new Set<string>(orgs.data?.withheld ?? [])
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
        <fieldset className="segmented">
          <legend>Environment</legend>
          {(['live', 'test'] as const).map((env) => (
            <label key={env}>
              <input
                type="radio"
                name="environment"
                value={env}
                checked={environment === env}
                onChange={() => setEnvironment(env)}
              />
              {env === 'live' ? 'Live' : 'Test'}
            </label>
          ))}
        </fieldset>
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
          <caption className="visually-hidden">Organizations ({environment})</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Status</th>
              <th scope="col">Balance ({environment})</th>
              <th scope="col">Month-to-date spend ({environment})</th>
              <th scope="col">Budget ({environment})</th>
            </tr>
          </thead>
          <tbody>
            {orgs.data.data.map((row) => (
              <OrgRow
                key={row.organization.organizationId}
                row={row}
                environment={environment}
                withheld={withheld}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      {withheld.size > 0 ? (
        <p className="muted">
          Not shown without the permission to read it: {[...withheld].join(', ')}.
        </p>
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

function OrgRow(props: { row: Summary; environment: Environment; withheld: ReadonlySet<string> }) {
  const { row, environment, withheld } = props
  const org = row.organization
  const env = row[environment]
  const budget = env.budget ? BUDGET_LABELS[env.budget.reason] : undefined
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
      <td data-testid={`balance-${org.organizationId}`}>
        {withheld.has('balance') ? '—' : formatMicros(env.balanceMicros ?? '0')}
      </td>
      <td data-testid={`spend-${org.organizationId}`}>
        {env.monthToDateSpendMicros === null ? '—' : formatMicros(env.monthToDateSpendMicros)}
      </td>
      <td>
        {budget ? (
          <span className={`badge tone-${budget.tone}`}>
            {budget.label}
            {row.budgetPolicy ? ` (v${row.budgetPolicy.version})` : ''}
          </span>
        ) : (
          '—'
        )}
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
