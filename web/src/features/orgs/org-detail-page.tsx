import { useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import { ActionForm, DialogButton, ErrorNote, Loading, Page } from '../../components/ui'
import { formatTime } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'
import { KeysPanel } from '../keys/keys-panel'
import { BudgetPanel } from '../budgets/budget-panel'
import { BillingPanel } from '../billing/billing-panel'
import { OrgUsagePanel } from '../usage/org-usage-panel'
import { describeRateLimits } from '../../components/rate-limit-fields'
import { EditOrganization, metadataText } from './edit-organization'
import { useOrganization } from './org-queries'

export function OrgDetailPage(props: { organizationId: string }) {
  const can = useCan()
  const org = useOrganization(props.organizationId)
  const client = useQueryClient()
  if (org.isPending) return <Loading what="the organization" />
  if (!org.data) return <ErrorNote error={org.error} />
  const o = org.data
  const suspended = o.status === 'suspended'
  const action = suspended ? 'reactivate' : 'suspend'
  return (
    <Page
      title={o.name}
      actions={
        can('orgs.write') ? (
          <>
            <EditOrganization org={o} />
            <DialogButton label={suspended ? 'Reactivate' : 'Suspend'} danger={!suspended}>
              {(close) => (
                <ActionForm
                  danger={!suspended}
                  submitLabel={suspended ? 'Reactivate organization' : 'Suspend organization'}
                  reasonRequired={needsReason('post', `/admin/v1/orgs/{organizationId}/${action}`)}
                  onSubmit={async (reason) => {
                    await api.post(`/admin/v1/orgs/{organizationId}/${action}`, {
                      path: { organizationId: o.organizationId },
                      body: {},
                      reason,
                    })
                    await client.invalidateQueries({ queryKey: ['org', o.organizationId] })
                  }}
                  onDone={close}
                >
                  <p>
                    {suspended
                      ? 'Its keys work again at once.'
                      : 'Every key of this organization is refused at once, on every instance.'}
                  </p>
                </ActionForm>
              )}
            </DialogButton>
          </>
        ) : null
      }
    >
      <p>
        <Link to="/orgs">← All organizations</Link>
      </p>
      <dl className="facts">
        <dt>ID</dt>
        <dd>
          <code>{o.organizationId}</code>
        </dd>
        <dt>Status</dt>
        <dd>
          <span className={`badge ${o.status}`}>{o.status}</span>
        </dd>
        <dt>External ID</dt>
        <dd data-testid="org-external-id">{o.externalId ?? '—'}</dd>
        <dt>Metadata</dt>
        <dd data-testid="org-metadata">
          {Object.keys(o.metadata).length > 0 ? metadataText(o.metadata).replace(/\n/g, ', ') : '—'}
        </dd>
        <dt>Rate limits</dt>
        <dd data-testid="org-rate-limits">{describeRateLimits(o.rateLimits)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(o.createdAt)}</dd>
      </dl>
      <KeysPanel organizationId={o.organizationId} />
      {can('budgets.read') ? <BudgetPanel organizationId={o.organizationId} /> : null}
      {can('billing.read') ? <BillingPanel organizationId={o.organizationId} /> : null}
      {can('usage.read') ? <OrgUsagePanel organizationId={o.organizationId} /> : null}
    </Page>
  )
}
