import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import type { Approval } from '../../api/models'
import { ActionForm, Empty, ErrorNote, Page, TextField } from '../../components/ui'
import { formatMicros, formatTime } from '../../format'
import { Link } from '../../router'
import { useCan, useMe } from '../../session'

/**
 * Approvals waiting for a second admin: the pending list, or one opened by its ID; grant it
 * (billing.approve).
 */
export function ApprovalsPage() {
  const can = useCan()
  const me = useMe()
  const client = useQueryClient()
  const [approvalId, setApprovalId] = useState('')
  const [approval, setApproval] = useState<Approval | null>(null)
  const [error, setError] = useState<unknown>(null)
  const pending = useQuery({
    queryKey: ['approvals', 'pending'],
    queryFn: () => api.get('/admin/v1/billing/approvals', { query: { status: 'pending' } }),
  })
  const open = async (id: string) => {
    setError(null)
    try {
      setApproval(
        await api.get('/admin/v1/billing/approvals/{approvalId}', {
          path: { approvalId: id.trim() },
        }),
      )
    } catch (err) {
      setApproval(null)
      setError(err)
    }
  }
  const waiting = (pending.data as { data?: Approval[] } | undefined)?.data ?? []
  return (
    <Page title="Approvals">
      <p className="muted">
        Credits, refunds and adjustments above the approval threshold need a second admin. Pick one
        waiting below, or open one by the ID its requester sent you (<code>apr_…</code>), to check
        and grant it.
      </p>
      <h2>Waiting for a second admin</h2>
      <ErrorNote error={pending.error} />
      {pending.isSuccess && waiting.length === 0 ? (
        <Empty>No approval is waiting. Large credits, refunds and adjustments ask for one.</Empty>
      ) : null}
      {waiting.length > 0 ? (
        <table>
          <caption className="visually-hidden">Pending approvals</caption>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Amount</th>
              <th scope="col">Environment</th>
              <th scope="col">Organization</th>
              <th scope="col">Requested</th>
              <th scope="col">Open</th>
            </tr>
          </thead>
          <tbody>
            {waiting.map((a) => (
              <tr key={a.approvalId}>
                <td>{a.action}</td>
                <td>{formatMicros(a.amountMicros)}</td>
                <td>{a.environment}</td>
                <td>
                  <code>{a.organizationId}</code>
                </td>
                <td>{formatTime(a.createdAt)}</td>
                <td>
                  <button type="button" onClick={() => void open(a.approvalId)}>
                    Open {a.approvalId}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault()
          void open(approvalId)
        }}
      >
        <TextField
          label="Approval ID"
          required
          value={approvalId}
          onChange={(e) => setApprovalId(e.target.value)}
        />
        <button type="submit" className="primary">
          Open approval
        </button>
      </form>
      <ErrorNote error={error} />
      {!approval && !error ? <Empty>Paste an approval ID to see who asked for what.</Empty> : null}
      {approval ? (
        <>
          <dl className="facts">
            <dt>Action</dt>
            <dd>{approval.action}</dd>
            <dt>Amount</dt>
            <dd>{formatMicros(approval.amountMicros)}</dd>
            <dt>Environment</dt>
            <dd>{approval.environment}</dd>
            <dt>Organization</dt>
            <dd>
              <Link to={`/orgs/${approval.organizationId}`}>{approval.organizationId}</Link>
            </dd>
            <dt>Status</dt>
            <dd>{approval.status}</dd>
            <dt>Requested by</dt>
            <dd>
              <code>{approval.requestedBy}</code> at {formatTime(approval.createdAt)}
            </dd>
            <dt>Expires</dt>
            <dd>{formatTime(approval.expiresAt)}</dd>
            <dt>Granted by</dt>
            <dd>{approval.grantedBy ?? '—'}</dd>
          </dl>
          {approval.status === 'pending' && can('billing.approve') ? (
            approval.requestedBy === me.admin.adminId ? (
              <Empty>You requested this approval: a different admin must grant it.</Empty>
            ) : (
              <ActionForm
                submitLabel="Grant approval"
                reasonRequired={needsReason(
                  'post',
                  '/admin/v1/billing/approvals/{approvalId}/grant',
                )}
                onSubmit={async (reason) => {
                  setApproval(
                    await api.post('/admin/v1/billing/approvals/{approvalId}/grant', {
                      path: { approvalId: approval.approvalId },
                      body: {},
                      reason,
                    }),
                  )
                  await client.invalidateQueries({ queryKey: ['approvals'] })
                }}
              />
            )
          ) : null}
        </>
      ) : null}
    </Page>
  )
}
