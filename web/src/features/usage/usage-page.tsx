import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { api, urlOf } from '../../api/client'
import type { UsageAggregates } from '../../api/models'
import { BarChart } from '../../components/bar-chart'
import { Empty, ErrorNote, Loading, Page, Panel, TextField } from '../../components/ui'
import { DownloadButton } from '../../components/download-button'
import { currentMonth, formatCount, formatMicros, formatTime } from '../../format'
import { Link, useLocation } from '../../router'
import { useCan } from '../../session'

function micros(value: string): number {
  return Number(BigInt(value) / 1000n) / 1000
}

function useAggregates(groupBy: UsageAggregates['groupBy'], filter: Record<string, string>) {
  return useQuery({
    queryKey: ['usage-aggregates', groupBy, filter],
    queryFn: () => api.get('/admin/v1/usage/aggregates', { query: { ...filter, groupBy } }),
  })
}

export function UsagePage() {
  const can = useCan()
  const { search } = useLocation()
  const [organizationId, setOrganizationId] = useState(search.get('organizationId') ?? '')
  const [month, setMonth] = useState(currentMonth())
  const from = `${month}-01T00:00:00Z`
  const next = new Date(from)
  next.setUTCMonth(next.getUTCMonth() + 1)
  const filter: Record<string, string> = {
    from,
    to: next.toISOString(),
    ...(organizationId.trim() ? { organizationId: organizationId.trim() } : {}),
  }
  const byDay = useAggregates('day', filter)
  const byModel = useAggregates('model', filter)
  const byKey = useAggregates('key', filter)
  const pairs = useAggregates('model_pair', filter)
  const events = useQuery({
    queryKey: ['usage-events', filter],
    queryFn: () => api.get('/admin/v1/usage', { query: { ...filter, limit: 20 } }),
  })
  const error = byDay.error ?? byModel.error ?? byKey.error ?? pairs.error
  return (
    <Page title="Usage">
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Organization ID"
          placeholder="org_… (empty: all)"
          value={organizationId}
          onChange={(e) => setOrganizationId(e.target.value)}
        />
        <TextField
          label="Month"
          type="month"
          value={month}
          onChange={(e) => setMonth(e.target.value)}
        />
        {can('usage.export') && organizationId.trim() ? (
          <DownloadButton
            label="Export CSV"
            filename={`usage-${month}.csv`}
            href={urlOf('/admin/v1/usage/export', {
              query: { organizationId: organizationId.trim(), month },
            })}
          />
        ) : (
          <small className="muted">Give an organization ID to export its CSV.</small>
        )}
      </form>
      <ErrorNote error={error} />
      {byDay.isPending ? <Loading what="usage" /> : null}
      {byDay.data && byDay.data.data.length === 0 ? (
        <Empty>No usage in {month}. Usage appears here as soon as a key calls /v1.</Empty>
      ) : null}
      {byDay.data && byDay.data.data.length > 0 ? (
        <>
          <p>
            {formatCount(byDay.data.totals.requests)} requests ·{' '}
            {formatCount(
              String(
                BigInt(byDay.data.totals.promptTokens) + BigInt(byDay.data.totals.completionTokens),
              ),
            )}{' '}
            tokens · spend {formatMicros(byDay.data.totals.costMicros)} (refunded{' '}
            {formatMicros(byDay.data.totals.refundedMicros)})
          </p>
          <div className="grid">
            <BarChart
              title="Tokens by day"
              rows={byDay.data.data.map((r) => {
                const tokens = Number(BigInt(r.promptTokens) + BigInt(r.completionTokens))
                return { label: r.day ?? '', value: tokens, display: formatCount(tokens) }
              })}
            />
            <BarChart
              title="Spend by day"
              rows={byDay.data.data.map((r) => ({
                label: r.day ?? '',
                value: micros(r.costMicros),
                display: formatMicros(r.costMicros),
              }))}
            />
            {byModel.data ? (
              <BarChart
                title="Spend by model served"
                rows={byModel.data.data.map((r) => ({
                  label: r.modelServed ?? r.modelRequested ?? '—',
                  value: micros(r.costMicros),
                  display: formatMicros(r.costMicros),
                }))}
              />
            ) : null}
            {byKey.data ? (
              <BarChart
                title="Tokens by key"
                rows={byKey.data.data.map((r) => {
                  const tokens = Number(BigInt(r.promptTokens) + BigInt(r.completionTokens))
                  return {
                    label: r.keyLabel ?? r.keyId ?? '—',
                    value: tokens,
                    display: formatCount(tokens),
                  }
                })}
              />
            ) : null}
          </div>
          {pairs.data ? (
            <Panel title="Requested vs served">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Model requested</th>
                    <th scope="col">Model served</th>
                    <th scope="col">Requests</th>
                    <th scope="col">Spend</th>
                  </tr>
                </thead>
                <tbody>
                  {pairs.data.data.map((r) => (
                    <tr
                      key={`${r.modelRequested}-${r.modelServed}`}
                      className={r.modelRequested !== r.modelServed ? 'diff-changed' : ''}
                    >
                      <td>{r.modelRequested}</td>
                      <td>{r.modelServed ?? '— (not served)'}</td>
                      <td>{formatCount(r.requests)}</td>
                      <td>{formatMicros(r.costMicros)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Panel>
          ) : null}
        </>
      ) : null}
      {events.data && events.data.data.length > 0 ? (
        <Panel title="Latest requests">
          <table>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Request ID</th>
                <th scope="col">Key</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {events.data.data.map((u) => (
                <tr key={u.usageId}>
                  <td>{formatTime(u.createdAt)}</td>
                  <td>
                    {can('billing.read') ? (
                      <Link to={`/evidence/${encodeURIComponent(u.requestId)}`}>{u.requestId}</Link>
                    ) : (
                      u.requestId
                    )}
                  </td>
                  <td>
                    <code>{u.keyLabel}</code>
                  </td>
                  <td>
                    {u.modelRequested} → {u.modelServed ?? '—'}
                  </td>
                  <td>{u.httpStatus}</td>
                  <td>{formatMicros(u.costMicros)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      ) : null}
    </Page>
  )
}
