import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import type { Organization } from '../../api/models'
import { ActionForm, DialogButton, TextArea, TextField } from '../../components/ui'
import { RateLimitFields, rateLimitText, rateLimitsOf } from '../../components/rate-limit-fields'

/** `key=value` lines ⇄ the metadata object; a line without `=` is an error shown in the form. */
export function metadataText(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
}

export function parseMetadata(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '') continue
    const at = line.indexOf('=')
    if (at <= 0) throw new Error(`Metadata line ${i + 1} is not key=value: “${line}”.`)
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return out
}

/** Rename, external ID, metadata and organization-wide rate limits: one PATCH, audited. */
export function EditOrganization(props: { org: Organization }) {
  const { org } = props
  const client = useQueryClient()
  const [name, setName] = useState(org.name)
  const [externalId, setExternalId] = useState(org.externalId ?? '')
  const [metadata, setMetadata] = useState(metadataText(org.metadata))
  const [limits, setLimits] = useState(rateLimitText(org.rateLimits))
  return (
    <DialogButton label="Edit organization">
      {(close) => (
        <ActionForm
          submitLabel="Save changes"
          reasonRequired={needsReason('patch', '/admin/v1/orgs/{organizationId}')}
          onSubmit={async (reason) => {
            await api.patch('/admin/v1/orgs/{organizationId}', {
              path: { organizationId: org.organizationId },
              body: {
                name,
                externalId: externalId.trim() === '' ? null : externalId.trim(),
                metadata: parseMetadata(metadata),
                rateLimits: rateLimitsOf(limits),
              },
              reason,
            })
            await client.invalidateQueries({ queryKey: ['org', org.organizationId] })
            await client.invalidateQueries({ queryKey: ['orgs'] })
          }}
          onDone={close}
        >
          <TextField
            label="Organization name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <TextField
            label="External ID"
            hint="Your own ID for this customer; empty removes it"
            value={externalId}
            onChange={(e) => setExternalId(e.target.value)}
          />
          <TextArea
            label="Metadata"
            hint="One key=value per line (at most 50)"
            rows={4}
            value={metadata}
            onChange={setMetadata}
          />
          <RateLimitFields owner="organization" value={limits} onChange={setLimits} />
        </ActionForm>
      )}
    </DialogButton>
  )
}
