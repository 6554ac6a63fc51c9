import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import {
  ActionForm,
  DialogButton,
  Empty,
  ErrorNote,
  Loading,
  Page,
  Panel,
  SelectField,
  TextArea,
  TextField,
} from '../../components/ui'
import { formatTime } from '../../format'
import { useCan } from '../../session'
import type { RoutePolicyDocument } from '../../api/models'
import { draftOf, policyOf } from './policy-draft'
import { PolicyEditor } from './policy-editor'

export function RoutingPage() {
  const can = useCan()
  const versions = useQuery({
    queryKey: ['route-policies'],
    queryFn: () => api.get('/admin/v1/route-policies', { query: { limit: 100 } }),
  })
  const list = versions.data?.data ?? []
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  return (
    <Page
      title="Routing"
      actions={
        can('routing.write') ? (
          // Re-mounted when a new version arrives: the editor starts from the newest policy.
          <PublishPolicy key={list[0]?.version ?? 0} latest={list[0]?.policy} />
        ) : null
      }
    >
      {versions.isPending ? <Loading what="route policies" /> : null}
      <ErrorNote error={versions.error} />
      {versions.data && list.length === 0 ? (
        <Empty>
          No route policy is published: each model is served by the provider account that lists it
          (the implicit policy). Publish a policy to add aliases, fallbacks, retries and tiers; use
          the explainer below to see what a request would do.
        </Empty>
      ) : null}
      {list.length > 0 ? (
        <table>
          <caption>Route policy versions (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Scope</th>
              <th scope="col">Source</th>
              <th scope="col">By</th>
              <th scope="col">At</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.routePolicyId}>
                <td>
                  v{v.version}
                  {v.rolledBackFromVersion ? ` (rollback of v${v.rolledBackFromVersion})` : ''}
                </td>
                <td>{v.scope}</td>
                <td>{v.source}</td>
                <td>
                  <code>{v.createdBy ?? '—'}</code>
                </td>
                <td>{formatTime(v.createdAt)}</td>
                <td>{can('routing.write') ? <Rollback version={v.version} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.length > 1 ? (
        <Panel title="Compare two versions">
          <div className="filters">
            <SelectField
              label="From version"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              options={[{ value: '', label: 'pick' }, ...list.map((v) => String(v.version))]}
            />
            <SelectField
              label="To version"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              options={[{ value: '', label: 'pick' }, ...list.map((v) => String(v.version))]}
            />
          </div>
          {from && to ? (
            <VersionDiff from={Number(from)} to={Number(to)} />
          ) : (
            <p className="muted">Pick two versions.</p>
          )}
        </Panel>
      ) : null}
      <DryRun />
    </Page>
  )
}

function VersionDiff(props: { from: number; to: number }) {
  const diff = useQuery({
    queryKey: ['route-diff', props.from, props.to],
    queryFn: () =>
      api.get('/admin/v1/route-policies/diff', { query: { from: props.from, to: props.to } }),
  })
  const a = useQuery({
    queryKey: ['route-policy', props.from],
    queryFn: () => api.get('/admin/v1/route-policies/{version}', { path: { version: props.from } }),
  })
  const b = useQuery({
    queryKey: ['route-policy', props.to],
    queryFn: () => api.get('/admin/v1/route-policies/{version}', { path: { version: props.to } }),
  })
  return (
    <div>
      <ErrorNote error={diff.error} />
      {diff.data ? (
        diff.data.changes.length === 0 ? (
          <p>The two versions have the same content.</p>
        ) : (
          <ul className="changes">
            {diff.data.changes.map((c) => (
              <li key={c.path} className={`diff-${c.kind}`}>
                <strong>{c.kind}</strong> <code>{c.path}</code>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <div className="side-by-side">
        <figure>
          <figcaption>v{props.from}</figcaption>
          <pre>{a.data ? JSON.stringify(a.data.policy, null, 2) : '…'}</pre>
        </figure>
        <figure>
          <figcaption>v{props.to}</figcaption>
          <pre>{b.data ? JSON.stringify(b.data.policy, null, 2) : '…'}</pre>
        </figure>
      </div>
    </div>
  )
}

/** Publish: a structured editor of routes, targets and fallbacks; the JSON view is the advanced option. */
function PublishPolicy(props: { latest: RoutePolicyDocument | undefined }) {
  const client = useQueryClient()
  const [scope, setScope] = useState('global')
  const [draft, setDraft] = useState(() => draftOf(props.latest ?? { routes: {} }))
  const [asJson, setAsJson] = useState(false)
  const [text, setText] = useState('')
  const [switchError, setSwitchError] = useState<unknown>(null)
  const toggle = (json: boolean) => {
    setSwitchError(null)
    if (json) {
      try {
        setText(JSON.stringify(policyOf(draft), null, 2))
      } catch (err) {
        setSwitchError(err)
        return
      }
    } else {
      try {
        setDraft(draftOf(parsePolicy(text)))
      } catch (err) {
        setSwitchError(err)
        return
      }
    }
    setAsJson(json)
  }
  return (
    <DialogButton label="Publish policy" title="Publish a route policy version">
      {(close) => (
        <ActionForm
          submitLabel="Publish"
          reasonRequired={needsReason('post', '/admin/v1/route-policies')}
          onSubmit={async (reason) => {
            const policy = asJson ? parsePolicy(text) : policyOf(draft)
            await api.post('/admin/v1/route-policies', { body: { scope, policy }, reason })
            await client.invalidateQueries({ queryKey: ['route-policies'] })
          }}
          onDone={close}
        >
          <TextField
            label="Scope"
            hint="global or an organization ID (org_…)"
            value={scope}
            onChange={(e) => setScope(e.target.value)}
          />
          <label className="check">
            <input type="checkbox" checked={asJson} onChange={(e) => toggle(e.target.checked)} />
            Edit as JSON (advanced: retries, tier routes, downgrade rules)
          </label>
          <ErrorNote error={switchError} />
          {asJson ? (
            <TextArea
              label="Policy (JSON, see docs/routing.md)"
              rows={14}
              value={text}
              onChange={setText}
            />
          ) : (
            <PolicyEditor value={draft} onChange={setDraft} />
          )}
        </ActionForm>
      )}
    </DialogButton>
  )
}

function parsePolicy(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new Error('The policy is not a JSON object.')
}

function Rollback(props: { version: number }) {
  const client = useQueryClient()
  return (
    <DialogButton label={`Roll back to v${props.version}`}>
      {(close) => (
        <ActionForm
          submitLabel={`Re-publish v${props.version}`}
          reasonRequired={needsReason('post', '/admin/v1/route-policies/{version}/rollback')}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/route-policies/{version}/rollback', {
              path: { version: props.version },
              body: {},
              reason,
            })
            await client.invalidateQueries({ queryKey: ['route-policies'] })
          }}
          onDone={close}
        >
          <p>v{props.version} becomes the next version of its scope, in force at once.</p>
        </ActionForm>
      )}
    </DialogButton>
  )
}

function DryRun() {
  const [model, setModel] = useState('')
  const [organizationId, setOrganizationId] = useState('')
  const [budgetState, setBudgetState] = useState('')
  const [asked, setAsked] = useState<Record<string, string> | null>(null)
  const decision = useQuery({
    queryKey: ['dry-run', asked],
    enabled: asked !== null,
    queryFn: () =>
      api.get('/admin/v1/route-policies/dry-run', { query: asked as { model: string } }),
  })
  return (
    <Panel title="Explain a request (dry run)">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault()
          setAsked({
            model,
            ...(organizationId ? { organizationId } : {}),
            ...(budgetState ? { budgetState } : {}),
          })
        }}
      >
        <TextField
          label="Model or alias"
          required
          value={model}
          onChange={(e) => setModel(e.target.value)}
        />
        <TextField
          label="Organization ID (optional)"
          value={organizationId}
          onChange={(e) => setOrganizationId(e.target.value)}
        />
        <SelectField
          label="Budget state"
          value={budgetState}
          onChange={(e) => setBudgetState(e.target.value)}
          options={[{ value: '', label: 'as now' }, 'ok', 'warn', 'downgrade', 'block']}
        />
        <button type="submit" className="primary">
          Explain
        </button>
      </form>
      <ErrorNote error={decision.error} />
      {decision.data ? (
        <div role="status">
          <p>
            <strong>{decision.data.decision}</strong>
            {decision.data.wouldServe
              ? ` → ${decision.data.wouldServe.provider} / ${decision.data.wouldServe.model}`
              : ''}{' '}
            (policy {decision.data.policyScope} v{decision.data.routePolicyVersion})
          </p>
          <ol>
            {decision.data.explanation.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ol>
        </div>
      ) : null}
    </Panel>
  )
}
