import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { Evidence } from '../../api/models'
import { Empty, ErrorNote, Loading, Page, Panel, TextField } from '../../components/ui'
import { formatMicros, formatTime } from '../../format'
import { Link, navigate } from '../../router'

/** Paste a request ID: its usage, money, policy versions and the admin actions that touched it. */
export function EvidencePage(props: { requestId: string | undefined }) {
  const [draft, setDraft] = useState(props.requestId ?? '')
  const evidence = useQuery({
    queryKey: ['evidence', props.requestId],
    enabled: props.requestId !== undefined,
    queryFn: () =>
      api.get('/admin/v1/evidence/requests/{requestId}', { path: { requestId: props.requestId! } }),
  })
  return (
    <Page title="Evidence">
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          if (draft.trim()) navigate(`/evidence/${encodeURIComponent(draft.trim())}`)
        }}
      >
        <TextField
          label="Request ID"
          required
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          hint="The x-request-id of a /v1 call"
        />
        <button type="submit" className="primary">
          Show evidence
        </button>
      </form>
      {props.requestId === undefined ? (
        <Empty>
          Paste the request ID a customer quotes (the x-request-id header) to see the whole chain
          behind it.
        </Empty>
      ) : null}
      {evidence.isFetching ? <Loading what="the evidence" /> : null}
      <ErrorNote error={evidence.error} />
      {evidence.data ? <EvidenceView evidence={evidence.data} /> : null}
    </Page>
  )
}

function EvidenceView(props: { evidence: Evidence }) {
  const e = props.evidence
  if (e.usageEvents.length === 0 && e.ledger.entries.length === 0 && e.auditEvents.length === 0)
    return (
      <Empty>
        Ferry has no record of request {e.requestId}. Check the ID (it is case-sensitive).
      </Empty>
    )
  return (
    <div data-testid="evidence">
      <Panel title="1. Request and usage">
        {e.usageEvents.map((u) => (
          <dl className="facts" key={u.usageId}>
            <dt>Organization</dt>
            <dd>
              <Link to={`/orgs/${u.organizationId}`}>{u.organizationId}</Link>
            </dd>
            <dt>Key</dt>
            <dd>
              <code>{u.keyLabel}</code> ({u.environment})
            </dd>
            <dt>Endpoint</dt>
            <dd>{u.endpoint}</dd>
            <dt>Model requested → served</dt>
            <dd>
              {u.modelRequested} → {u.modelServed ?? '—'} ({u.provider ?? '—'})
            </dd>
            <dt>Tokens</dt>
            <dd>
              {u.promptTokens} prompt · {u.completionTokens} completion
            </dd>
            <dt>Status</dt>
            <dd>
              HTTP {u.httpStatus} · {u.settlementOutcome ?? '—'}
            </dd>
            <dt>Cost</dt>
            <dd>
              {formatMicros(u.costMicros)} (refunded {formatMicros(u.refundedMicros)},{' '}
              {u.refundState})
            </dd>
            <dt>At</dt>
            <dd>{formatTime(u.createdAt)}</dd>
          </dl>
        ))}
      </Panel>
      <Panel title="2. Ledger">
        <p>
          Charged {formatMicros(e.ledger.totals.chargedMicros)} · refunded{' '}
          {formatMicros(e.ledger.totals.refundedMicros)} · net{' '}
          {formatMicros(e.ledger.totals.netMicros)}
        </p>
        {e.ledger.entries.length === 0 ? (
          <p className="muted">No ledger entry (nothing was charged).</p>
        ) : null}
        <ul>
          {e.ledger.entries.map((l) => (
            <li key={l.entryId}>
              {l.kind} {formatMicros(l.amountMicros)} <code>{l.entryId}</code> at{' '}
              {formatTime(l.createdAt)}
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title="3. Policy versions">
        <ul>
          {e.routePolicies.map((r) => (
            <li key={`${r.scope}-${r.version}`}>
              Route policy {r.scope} v{r.version} ({r.status}){r.note ? ` — ${r.note}` : ''}
            </li>
          ))}
          {e.budgetPolicies.map((b, i) => (
            <li key={`b${i}`}>
              Budget policy {b.version !== undefined ? `v${b.version}` : ''} ({b.status})
            </li>
          ))}
          {e.priceTables.map((p, i) => (
            <li key={`p${i}`}>
              Price table {p.version !== undefined ? `v${p.version}` : ''} {p.status ?? ''}
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title="4. Admin actions on this request">
        {e.auditEvents.length === 0 ? (
          <p className="muted">No admin changed anything about this request.</p>
        ) : null}
        <ul>
          {e.auditEvents.map(({ event: a, via }) => (
            <li key={a.audit_event_id}>
              {formatTime(a.created_at)} · {a.action} by <code>{a.actor_id}</code>
              {a.reason_code ? ` — reason ${a.reason_code}` : ''}{' '}
              <small className="muted">(via {via})</small>
            </li>
          ))}
        </ul>
      </Panel>
    </div>
  )
}
