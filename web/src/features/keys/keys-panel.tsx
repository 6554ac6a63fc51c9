import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import type { ApiKey, ApiKeyWithSecret } from '../../api/models'
import {
  ActionForm,
  DialogButton,
  Empty,
  ErrorNote,
  Loading,
  Panel,
  SelectField,
  TextField,
} from '../../components/ui'
import { formatTime } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'
import { SecretReveal } from './secret-reveal'

export function KeysPanel(props: { organizationId: string }) {
  const can = useCan()
  const [revealed, setRevealed] = useState<ApiKeyWithSecret | null>(null)
  const keys = useQuery({
    queryKey: ['keys', props.organizationId],
    enabled: can('keys.read'),
    queryFn: () =>
      api.get('/admin/v1/orgs/{organizationId}/keys', {
        path: { organizationId: props.organizationId },
        query: { limit: 200 },
      }),
  })
  if (!can('keys.read')) return null
  const writable = can('keys.write')
  return (
    <Panel
      title="API keys"
      actions={
        writable ? (
          <CreateKey organizationId={props.organizationId} onCreated={setRevealed} />
        ) : null
      }
    >
      {revealed ? (
        <SecretReveal
          secret={revealed.secret}
          label={revealed.label}
          onDismiss={() => setRevealed(null)}
        />
      ) : null}
      {keys.isPending ? <Loading what="keys" /> : null}
      <ErrorNote error={keys.error} />
      {keys.data?.data.length === 0 ? (
        <Empty>
          This organization has no API keys.{' '}
          {writable ? 'Create one: its secret is shown once.' : ''}
        </Empty>
      ) : null}
      {keys.data && keys.data.data.length > 0 ? (
        <table>
          <caption className="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Label</th>
              <th scope="col">Environment</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.data.map((key) => (
              <KeyRow key={key.keyId} apiKey={key} writable={writable} onSecret={setRevealed} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Panel>
  )
}

function useInvalidateKeys(organizationId: string) {
  const client = useQueryClient()
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['keys', organizationId] }),
      client.invalidateQueries({ queryKey: ['key'] }),
    ])
}

function KeyRow(props: {
  apiKey: ApiKey
  writable: boolean
  onSecret: (k: ApiKeyWithSecret) => void
}) {
  const { apiKey } = props
  const invalidate = useInvalidateKeys(apiKey.organizationId)
  const revoked = apiKey.status === 'revoked'
  return (
    <tr>
      <td>
        <Link to={`/keys/${apiKey.keyId}`}>{apiKey.name}</Link>
      </td>
      <td>
        <code>{apiKey.label}</code>
      </td>
      <td>{apiKey.environment}</td>
      <td>
        <span className={`badge ${apiKey.status}`}>{apiKey.status}</span>
        {apiKey.graceEndsAt ? (
          <small className="muted"> old secret until {formatTime(apiKey.graceEndsAt)}</small>
        ) : null}
      </td>
      <td>{formatTime(apiKey.expiresAt)}</td>
      <td className="row-actions">
        {props.writable && !revoked ? (
          <>
            <RenameKey apiKey={apiKey} onDone={invalidate} />
            <RotateKey apiKey={apiKey} onDone={invalidate} onSecret={props.onSecret} />
            <RevokeKey apiKey={apiKey} onDone={invalidate} />
          </>
        ) : null}
      </td>
    </tr>
  )
}

function CreateKey(props: { organizationId: string; onCreated: (key: ApiKeyWithSecret) => void }) {
  const invalidate = useInvalidateKeys(props.organizationId)
  const [name, setName] = useState('')
  const [environment, setEnvironment] = useState<'live' | 'test'>('live')
  const [models, setModels] = useState('')
  const [expiresAt, setExpiresAt] = useState('')
  const create = useMutation({
    mutationFn: () =>
      api.post('/admin/v1/orgs/{organizationId}/keys', {
        path: { organizationId: props.organizationId },
        body: {
          name,
          environment,
          ...(models.trim() ? { scopes: { models: splitList(models), endpoints: null } } : {}),
          ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
        },
      }),
    onSuccess: async (key) => {
      props.onCreated(key)
      await invalidate()
    },
  })
  return (
    <DialogButton label="Create API key">
      {(close) => (
        <ActionForm submitLabel="Create key" onSubmit={() => create.mutateAsync()} onDone={close}>
          <TextField
            label="Key name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <SelectField
            label="Environment"
            options={['live', 'test']}
            value={environment}
            onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
          />
          <TextField
            label="Allowed models (optional)"
            hint="Comma-separated models or aliases; empty allows every model"
            value={models}
            onChange={(e) => setModels(e.target.value)}
          />
          <TextField
            label="Expires at (optional)"
            type="datetime-local"
            value={expiresAt}
            onChange={(e) => setExpiresAt(e.target.value)}
          />
        </ActionForm>
      )}
    </DialogButton>
  )
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

function RenameKey(props: { apiKey: ApiKey; onDone: () => Promise<unknown> }) {
  const [name, setName] = useState(props.apiKey.name)
  return (
    <DialogButton label="Rename" title={`Rename ${props.apiKey.label}`}>
      {(close) => (
        <ActionForm
          submitLabel="Rename key"
          reasonRequired={needsReason('patch', '/admin/v1/keys/{keyId}')}
          onSubmit={async (reason) => {
            await api.patch('/admin/v1/keys/{keyId}', {
              path: { keyId: props.apiKey.keyId },
              body: { name },
              reason,
            })
            await props.onDone()
          }}
          onDone={close}
        >
          <TextField
            label="New name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </ActionForm>
      )}
    </DialogButton>
  )
}

function RotateKey(props: {
  apiKey: ApiKey
  onDone: () => Promise<unknown>
  onSecret: (key: ApiKeyWithSecret) => void
}) {
  const [graceHours, setGraceHours] = useState('24')
  return (
    <DialogButton label="Rotate" title={`Rotate ${props.apiKey.label}`}>
      {(close) => (
        <ActionForm
          submitLabel="Rotate key"
          reasonRequired={needsReason('post', '/admin/v1/keys/{keyId}/rotate')}
          onSubmit={async (reason) => {
            const key = await api.post('/admin/v1/keys/{keyId}/rotate', {
              path: { keyId: props.apiKey.keyId },
              body: { graceSeconds: Math.round(Number(graceHours) * 3600) },
              reason,
            })
            props.onSecret(key)
            await props.onDone()
          }}
          onDone={close}
        >
          <p>
            A new secret is issued and shown once. The old secret keeps working during the grace
            period.
          </p>
          <TextField
            label="Grace period (hours)"
            type="number"
            min={0}
            max={720}
            step="any"
            required
            value={graceHours}
            onChange={(e) => setGraceHours(e.target.value)}
          />
        </ActionForm>
      )}
    </DialogButton>
  )
}

function RevokeKey(props: { apiKey: ApiKey; onDone: () => Promise<unknown> }) {
  return (
    <DialogButton label="Revoke" danger title={`Revoke ${props.apiKey.label}`}>
      {(close) => (
        <ActionForm
          danger
          submitLabel="Revoke key"
          reasonRequired={needsReason('post', '/admin/v1/keys/{keyId}/revoke')}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/keys/{keyId}/revoke', {
              path: { keyId: props.apiKey.keyId },
              body: {},
              reason,
            })
            await props.onDone()
          }}
          onDone={close}
        >
          <p>
            <strong>{props.apiKey.name}</strong> stops working at once, on every Ferry instance.
            This cannot be undone.
          </p>
        </ActionForm>
      )}
    </DialogButton>
  )
}
