import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import { ActionForm, Empty, ErrorNote, Loading, Page, Panel, TextField } from '../../components/ui'
import { formatTime } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'

export function SupportPage() {
  const can = useCan()
  const client = useQueryClient()
  const sessions = useQuery({
    queryKey: ['support-sessions'],
    queryFn: () => api.get('/admin/v1/support-sessions', {}),
  })
  const [organizationId, setOrganizationId] = useState('')
  const [minutes, setMinutes] = useState('30')
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['support-sessions'] }),
      client.invalidateQueries({ queryKey: ['me'] }),
    ])
  return (
    <Page title="Support sessions">
      <p className="muted">
        A support session is time-boxed access to one organization. While it is open every action
        you take is attributed to you and to the session, and a banner says so.
      </p>
      {sessions.isPending ? <Loading what="support sessions" /> : null}
      <ErrorNote error={sessions.error} />
      {sessions.data?.data.length === 0 ? <Empty>No support session is open.</Empty> : null}
      {sessions.data && sessions.data.data.length > 0 ? (
        <table>
          <caption>Open support sessions</caption>
          <thead>
            <tr>
              <th scope="col">Organization</th>
              <th scope="col">Admin</th>
              <th scope="col">Reason</th>
              <th scope="col">Started</th>
              <th scope="col">Ends</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.data.map((s) => (
              <tr key={s.supportSessionId}>
                <td>
                  <Link to={`/orgs/${s.organizationId}`}>{s.organizationId}</Link>
                </td>
                <td>
                  <code>{s.adminId}</code>
                </td>
                <td>{s.reasonCode ?? '—'}</td>
                <td>{formatTime(s.startedAt)}</td>
                <td>{formatTime(s.expiresAt)}</td>
                <td>
                  <ActionForm
                    submitLabel="End session"
                    onSubmit={async () => {
                      await api.post('/admin/v1/support-sessions/{supportSessionId}/end', {
                        path: { supportSessionId: s.supportSessionId },
                        body: {},
                      })
                      await refresh()
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {can('support_sessions.start') ? (
        <Panel title="Start a support session">
          <ActionForm
            submitLabel="Start session"
            reasonRequired={needsReason('post', '/admin/v1/support-sessions')}
            onSubmit={async (reason) => {
              await api.post('/admin/v1/support-sessions', {
                body: { organizationId: organizationId.trim(), durationMinutes: Number(minutes) },
                reason,
              })
              await refresh()
            }}
          >
            <TextField
              label="Organization ID"
              required
              value={organizationId}
              onChange={(e) => setOrganizationId(e.target.value)}
            />
            <TextField
              label="Duration (minutes, at most 240)"
              type="number"
              min={1}
              max={240}
              required
              value={minutes}
              onChange={(e) => setMinutes(e.target.value)}
            />
          </ActionForm>
        </Panel>
      ) : null}
    </Page>
  )
}
