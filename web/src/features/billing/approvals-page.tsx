import { useState } from 'react'
import { api, needsReason } from '../../api/client'
import type { Approval } from '../../api/models'
import { ActionForm, Empty, ErrorNote, Page, TextField } from '../../components/ui'
import { formatMicros, formatTime } from '../../format'
import { Link } from '../../router'
import { useCan, useMe } from '../../session'

/** Approvals waiting for a second admin: open one by its ID, then grant it (billing.approve). */
export function ApprovalsPage() {
  const can = useCan()
  const me = useMe()
  const [approvalId, setApprovalId] = useState('')
  const [approval, setApproval] = useState<Approval | null>(null)
  const [error, setError] = useState<unknown>(null)
  const open = async () => {
    setError(null)
    try {
      setApproval(
        await api.get('/admin/v1/billing/approvals/{approvalId}', {
          path: { approvalId: approvalId.trim() },
        }),
      )
    } catch (err) {
      setApproval(null)
      setError(err)
    }
  }
  return (
    <Page title="Approvals">
      <p className="muted">
        Credits, refunds and adjustments above the approval threshold need a second admin. The
        requester sends you the approval ID (<code>apr_…</code>); open it here to check and grant
        it.
      </p>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault()
          void open()
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
                }}
              />
            )
          ) : null}
        </>
      ) : null}
    </Page>
  )
}
