import { Fragment, useState } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import { api, urlOf } from '../../api/client'
import type { paths } from '../../api/admin-api.gen'
import type { AuditEvent } from '../../api/models'
import {
  Empty,
  ErrorNote,
  JsonDiff,
  Loading,
  Page,
  SelectField,
  TextField,
} from '../../components/ui'
import { DownloadButton } from '../../components/download-button'
import { formatTime } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'

type AuditQuery = NonNullable<paths['/admin/v1/audit-events']['get']['parameters']['query']>
type Category = NonNullable<AuditQuery['category']>
const CATEGORIES: readonly Category[] = [
  'api_keys',
  'organizations',
  'providers',
  'budgets',
  'routing',
  'pricing',
  'billing',
  'admin_access',
  'data_access',
]

const FILTERS = [
  ['actor_id', 'Actor ID'],
  ['action', 'Action'],
  ['target_type', 'Target type'],
  ['target_id', 'Target ID'],
  ['request_id', 'Request ID'],
  ['organization_id', 'Organization ID'],
] as const

export function AuditPage() {
  const can = useCan()
  const [draft, setDraft] = useState<Record<string, string>>({})
  const [filters, setFilters] = useState<Record<string, string>>({})
  const [cursors, setCursors] = useState<string[]>([])
  const cursor = cursors[cursors.length - 1]
  const query: AuditQuery = {
    ...(filters as Partial<AuditQuery>),
    ...(filters.from ? { from: new Date(filters.from).toISOString() } : {}),
    ...(filters.to ? { to: new Date(filters.to).toISOString() } : {}),
    limit: 50,
    cursor,
  }
  const events = useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: () => api.get('/admin/v1/audit-events', { query }),
  })
  return (
    <Page title="Audit log" actions={<VerifyChains />}>
      <form
        className="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault()
          setCursors([])
          setFilters(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim() !== '')))
        }}
      >
        {FILTERS.map(([name, label]) => (
          <TextField
            key={name}
            label={label}
            value={draft[name] ?? ''}
            onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
          />
        ))}
        <SelectField
          label="Category"
          value={draft.category ?? ''}
          onChange={(e) => setDraft({ ...draft, category: e.target.value })}
          options={[{ value: '', label: 'any category' }, ...CATEGORIES]}
        />
        <TextField
          label="From"
          type="datetime-local"
          value={draft.from ?? ''}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
        />
        <TextField
          label="To"
          type="datetime-local"
          value={draft.to ?? ''}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
        />
        <div className="form-actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {can('audit.export') ? (
            <DownloadButton
              label="Export (signed JSONL)"
              filename="audit-events.jsonl"
              href={urlOf('/admin/v1/audit-events/export', {
                query: {
                  format: 'jsonl',
                  organization_id: filters.organization_id,
                  from: query.from,
                  to: query.to,
                },
              })}
            />
          ) : null}
        </div>
      </form>
      {events.isPending ? <Loading what="audit events" /> : null}
      <ErrorNote error={events.error} />
      {events.data?.data.length === 0 ? (
        <Empty>No audit event matches these filters. Clear a filter to see more.</Empty>
      ) : null}
      {events.data && events.data.data.length > 0 ? <AuditTable events={events.data.data} /> : null}
      <div className="pager">
        {cursors.length > 0 ? (
          <button
            type="button"
            className="secondary"
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            Newer events
          </button>
        ) : null}
        {events.data?.has_more && events.data.next_cursor ? (
          <button
            type="button"
            className="secondary"
            onClick={() => setCursors([...cursors, events.data.next_cursor!])}
          >
            Older events
          </button>
        ) : null}
      </div>
    </Page>
  )
}

function AuditTable(props: { events: AuditEvent[] }) {
  const [open, setOpen] = useState<string | null>(null)
  return (
    <table className="audit">
      <caption className="visually-hidden">Audit events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Category</th>
          <th scope="col">Target</th>
          <th scope="col">Request ID</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e) => (
          <Fragment key={e.audit_event_id}>
            <tr>
              <td>{formatTime(e.created_at)}</td>
              <td>
                <code>{e.actor_id}</code>
                <small className="muted">
                  {' '}
                  {e.actor_type}
                  {e.actor_role ? ` · ${e.actor_role}` : ''}
                </small>
                {e.impersonator_id ? (
                  <small className="muted"> (support session {e.support_session_id})</small>
                ) : null}
              </td>
              <td>
                {e.action}
                {e.outcome !== 'success' ? (
                  <span className="badge tone-bad"> {e.outcome}</span>
                ) : null}
              </td>
              <td>{e.category}</td>
              <td>
                {e.target_type ?? '—'} <code>{e.target_label ?? e.target_id ?? ''}</code>
              </td>
              <td>
                <code>{e.request_id ?? '—'}</code>
              </td>
              <td>
                <button
                  type="button"
                  className="secondary"
                  aria-expanded={open === e.audit_event_id}
                  aria-controls={`diff-${e.audit_event_id}`}
                  onClick={() => setOpen(open === e.audit_event_id ? null : e.audit_event_id)}
                >
                  {open === e.audit_event_id ? 'Hide diff' : 'Show diff'}
                </button>
              </td>
            </tr>
            {open === e.audit_event_id ? (
              <tr id={`diff-${e.audit_event_id}`} className="detail">
                <td colSpan={7}>
                  <AuditDetail event={e} />
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  )
}

function AuditDetail(props: { event: AuditEvent }) {
  const e = props.event
  return (
    <div className="audit-detail">
      <dl className="facts">
        <dt>Event</dt>
        <dd>
          <code>{e.audit_event_id}</code> · chain {e.chain_id} #{e.sequence}
        </dd>
        <dt>Reason</dt>
        <dd>
          {e.reason_code ? `${e.reason_code}${e.reason_note ? ` — ${e.reason_note}` : ''}` : '—'}
        </dd>
        {e.organization_id ? (
          <>
            <dt>Organization</dt>
            <dd>
              <Link to={`/orgs/${e.organization_id}`}>{e.organization_id}</Link>
            </dd>
          </>
        ) : null}
        {e.policy_version ? (
          <>
            <dt>Policy version</dt>
            <dd>{e.policy_version}</dd>
          </>
        ) : null}
        <dt>Actor address</dt>
        <dd>{e.actor_ip ?? '—'}</dd>
        <dt>Hash</dt>
        <dd>
          <code className="hash">{e.hash}</code>
        </dd>
      </dl>
      <h3>Before → after</h3>
      <JsonDiff before={e.before} after={e.after} />
      {e.evidence ? (
        <details>
          <summary>Evidence</summary>
          <pre>{JSON.stringify(e.evidence, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  )
}

function VerifyChains() {
  const verify = useMutation({ mutationFn: () => api.post('/admin/v1/audit/verify', { body: {} }) })
  return (
    <div className="verify">
      <button
        type="button"
        className="secondary"
        disabled={verify.isPending}
        onClick={() => verify.mutate()}
      >
        {verify.isPending ? 'Verifying the chains…' : 'Verify chains'}
      </button>
      <ErrorNote error={verify.error} />
      {verify.data ? (
        <p role="status" className={verify.data.ok ? 'ok' : 'error'} data-testid="chain-status">
          {verify.data.ok
            ? `Chain verified: ${verify.data.chains.length} chain(s), ${verify.data.chains.reduce((n, c) => n + c.events, 0)} events intact.`
            : `Chain broken: ${verify.data.chains
                .filter((c) => !c.ok)
                .map(
                  (c) =>
                    `${c.chain_id} at #${c.first_problem?.sequence}: ${c.first_problem?.message}`,
                )
                .join('; ')}`}
        </p>
      ) : null}
    </div>
  )
}
