import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import type { ApiKey, ApiKeyWithSecret } from '../../api/models'
import {
  ActionForm,
  ErrorNote,
  Loading,
  Page,
  Panel,
  SelectField,
  TextField,
} from '../../components/ui'
import { formatTime } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'
import {
  RateLimitFields,
  describeRateLimits,
  rateLimitText,
  rateLimitsOf,
} from '../../components/rate-limit-fields'
import { splitList } from './keys-panel'
import { SecretReveal } from './secret-reveal'

/** One key: its facts, and (with keys.write) scopes, environment and expiry. */
export function KeyPage(props: { keyId: string }) {
  const can = useCan()
  const client = useQueryClient()
  const [revealed, setRevealed] = useState<ApiKeyWithSecret | null>(null)
  const key = useQuery({
    queryKey: ['key', props.keyId],
    queryFn: () => api.get('/admin/v1/keys/{keyId}', { path: { keyId: props.keyId } }),
  })
  if (key.isPending) return <Loading what="the key" />
  if (!key.data) return <ErrorNote error={key.error} />
  const k = key.data
  const refresh = () => client.invalidateQueries({ queryKey: ['key', props.keyId] })
  const writable = can('keys.write') && k.status !== 'revoked'
  return (
    <Page title={`API key ${k.name}`}>
      <p>
        <Link to={`/orgs/${k.organizationId}`}>← Back to the organization</Link>
      </p>
      {revealed ? (
        <SecretReveal
          secret={revealed.secret}
          label={revealed.label}
          onDismiss={() => setRevealed(null)}
        />
      ) : null}
      <dl className="facts">
        <dt>Label</dt>
        <dd>
          <code>{k.label}</code>
        </dd>
        <dt>Status</dt>
        <dd>{k.status}</dd>
        <dt>Environment</dt>
        <dd>{k.environment}</dd>
        <dt>Models</dt>
        <dd>{k.scopes.models?.join(', ') ?? 'any'}</dd>
        <dt>Endpoints</dt>
        <dd>{k.scopes.endpoints?.join(', ') ?? 'any'}</dd>
        <dt>Rate limits</dt>
        <dd data-testid="key-rate-limits">{describeRateLimits(k.rateLimits)}</dd>
        <dt>Expires</dt>
        <dd>{formatTime(k.expiresAt)}</dd>
        <dt>Last rotated</dt>
        <dd>{formatTime(k.lastRotatedAt)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(k.createdAt)}</dd>
      </dl>
      {writable ? (
        <div className="grid">
          <Scopes apiKey={k} onDone={refresh} />
          <Environment apiKey={k} onDone={refresh} onSecret={setRevealed} />
          <Expiry apiKey={k} onDone={refresh} />
          <KeyRateLimits apiKey={k} onDone={refresh} />
        </div>
      ) : null}
    </Page>
  )
}

function Scopes(props: { apiKey: ApiKey; onDone: () => Promise<unknown> }) {
  const [models, setModels] = useState(props.apiKey.scopes.models?.join(', ') ?? '')
  const [endpoints, setEndpoints] = useState(props.apiKey.scopes.endpoints?.join(', ') ?? '')
  return (
    <Panel title="Scopes">
      <ActionForm
        submitLabel="Save scopes"
        reasonRequired={needsReason('put', '/admin/v1/keys/{keyId}/scopes')}
        onSubmit={async (reason) => {
          await api.put('/admin/v1/keys/{keyId}/scopes', {
            path: { keyId: props.apiKey.keyId },
            body: {
              models: models.trim() ? splitList(models) : null,
              endpoints: endpoints.trim()
                ? (splitList(endpoints) as ('chat.completions' | 'embeddings')[])
                : null,
            },
            reason,
          })
          await props.onDone()
        }}
      >
        <TextField
          label="Allowed models"
          hint="Comma-separated; empty allows any"
          value={models}
          onChange={(e) => setModels(e.target.value)}
        />
        <TextField
          label="Allowed endpoints"
          hint="Comma-separated (chat.completions, completions, embeddings, responses, models); empty allows any"
          value={endpoints}
          onChange={(e) => setEndpoints(e.target.value)}
        />
      </ActionForm>
    </Panel>
  )
}

function Environment(props: {
  apiKey: ApiKey
  onDone: () => Promise<unknown>
  onSecret: (key: ApiKeyWithSecret) => void
}) {
  const other = props.apiKey.environment === 'live' ? 'test' : 'live'
  const [environment, setEnvironment] = useState<'live' | 'test'>(other)
  return (
    <Panel title="Environment">
      <ActionForm
        submitLabel="Change environment"
        reasonRequired={needsReason('put', '/admin/v1/keys/{keyId}/environment')}
        onSubmit={async (reason) => {
          const key = await api.put('/admin/v1/keys/{keyId}/environment', {
            path: { keyId: props.apiKey.keyId },
            body: { environment },
            reason,
          })
          props.onSecret(key)
          await props.onDone()
        }}
      >
        <p>A new secret (shown once) replaces the old one at once.</p>
        <SelectField
          label="New environment"
          options={['live', 'test']}
          value={environment}
          onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
        />
      </ActionForm>
    </Panel>
  )
}

function Expiry(props: { apiKey: ApiKey; onDone: () => Promise<unknown> }) {
  const [expiresAt, setExpiresAt] = useState(props.apiKey.expiresAt?.slice(0, 16) ?? '')
  return (
    <Panel title="Expiry">
      <ActionForm
        submitLabel="Save expiry"
        reasonRequired={needsReason('put', '/admin/v1/keys/{keyId}/expiry')}
        onSubmit={async (reason) => {
          await api.put('/admin/v1/keys/{keyId}/expiry', {
            path: { keyId: props.apiKey.keyId },
            body: { expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null },
            reason,
          })
          await props.onDone()
        }}
      >
        <TextField
          label="Expires at"
          hint="Empty: never expires"
          type="datetime-local"
          value={expiresAt}
          onChange={(e) => setExpiresAt(e.target.value)}
        />
      </ActionForm>
    </Panel>
  )
}

function KeyRateLimits(props: { apiKey: ApiKey; onDone: () => Promise<unknown> }) {
  const [limits, setLimits] = useState(rateLimitText(props.apiKey.rateLimits))
  return (
    <Panel title="Rate limits">
      <ActionForm
        submitLabel="Save rate limits"
        reasonRequired={needsReason('put', '/admin/v1/keys/{keyId}/rate-limits')}
        onSubmit={async (reason) => {
          await api.put('/admin/v1/keys/{keyId}/rate-limits', {
            path: { keyId: props.apiKey.keyId },
            body: rateLimitsOf(limits),
            reason,
          })
          await props.onDone()
        }}
      >
        <p>In addition to the organization's own limits and its budget policy's.</p>
        <RateLimitFields owner="key" value={limits} onChange={setLimits} />
      </ActionForm>
    </Panel>
  )
}
