import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason } from '../../api/client'
import type { BudgetPolicyContent, BudgetPolicyVersion } from '../../api/models'
import {
  ActionForm,
  DialogButton,
  Empty,
  ErrorNote,
  JsonDiff,
  Loading,
  Panel,
  SelectField,
  TextField,
} from '../../components/ui'
import { formatCount, formatMicros, formatTime, toMicros } from '../../format'
import { useCan } from '../../session'
import { useCurrentBudget } from '../orgs/org-queries'

/** Major units (12.50) from micros, for editing; empty when unset. */
function toMajor(micros: string | null): string {
  if (micros === null) return ''
  const padded = micros.padStart(7, '0')
  return `${padded.slice(0, -6)}.${padded.slice(-6)}`.replace(/\.?0+$/, '')
}

export function BudgetPanel(props: { organizationId: string }) {
  const can = useCan()
  const current = useCurrentBudget(props.organizationId)
  const versions = useQuery({
    queryKey: ['budget-versions', props.organizationId],
    queryFn: () =>
      api.get('/admin/v1/orgs/{organizationId}/budget-policies', {
        path: { organizationId: props.organizationId },
        query: { limit: 50 },
      }),
  })
  const [compare, setCompare] = useState<[number, number] | null>(null)
  const list = versions.data?.data ?? []
  return (
    <Panel
      title="Budget policy"
      actions={
        can('budgets.write') ? (
          <PublishBudget
            organizationId={props.organizationId}
            current={current.data?.policy ?? null}
          />
        ) : null
      }
    >
      {current.isPending ? <Loading what="the budget policy" /> : null}
      <ErrorNote error={current.error ?? versions.error} />
      {current.data === null ? (
        <Empty>
          No budget policy is in force: requests are limited only by the balance.{' '}
          {can('budgets.write')
            ? 'Publish one to set a monthly spend cap and balance thresholds.'
            : ''}
        </Empty>
      ) : null}
      {current.data ? <PolicyFacts version={current.data} /> : null}
      {list.length > 0 ? (
        <table>
          <caption>Versions (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Change</th>
              <th scope="col">Spend cap</th>
              <th scope="col">By</th>
              <th scope="col">At</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v, i) => (
              <tr key={v.budgetPolicyId}>
                <td>
                  v{v.version}
                  {v.version === current.data?.version ? ' (in force)' : ''}
                </td>
                <td>
                  {v.change}
                  {v.rolledBackFromVersion ? ` of v${v.rolledBackFromVersion}` : ''}
                </td>
                <td>{formatMicros(v.policy.monthlySpendCapMicros)}</td>
                <td>
                  <code>{v.createdBy}</code>
                </td>
                <td>{formatTime(v.createdAt)}</td>
                <td className="row-actions">
                  {list[i + 1] ? (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setCompare([list[i + 1]!.version, v.version])}
                    >
                      Diff with v{list[i + 1]!.version}
                    </button>
                  ) : null}
                  {can('budgets.write') && v.version !== current.data?.version ? (
                    <RollbackBudget organizationId={props.organizationId} version={v.version} />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {compare ? (
        <div>
          <h3>
            v{compare[0]} → v{compare[1]}
          </h3>
          <JsonDiff
            before={list.find((v) => v.version === compare[0])?.policy}
            after={list.find((v) => v.version === compare[1])?.policy}
          />
        </div>
      ) : null}
    </Panel>
  )
}

function PolicyFacts(props: { version: BudgetPolicyVersion }) {
  const p = props.version.policy
  return (
    <dl className="facts">
      <dt>In force</dt>
      <dd>
        v{props.version.version} since {formatTime(props.version.createdAt)}
      </dd>
      <dt>Monthly spend cap</dt>
      <dd data-testid="spend-cap">{formatMicros(p.monthlySpendCapMicros)}</dd>
      <dt>Monthly token limit</dt>
      <dd>{formatCount(p.monthlyTokenLimit)}</dd>
      <dt>Hard cap</dt>
      <dd>{formatMicros(p.hardCapMicros)}</dd>
      <dt>Thresholds (balance below)</dt>
      <dd>
        warn {formatMicros(p.thresholds.warnBelowMicros)} · downgrade{' '}
        {formatMicros(p.thresholds.downgradeBelowMicros)} · block{' '}
        {formatMicros(p.thresholds.blockBelowMicros)}
      </dd>
      <dt>Over the cap</dt>
      <dd>{p.overage}</dd>
    </dl>
  )
}

function PublishBudget(props: { organizationId: string; current: BudgetPolicyContent | null }) {
  const client = useQueryClient()
  const c = props.current
  const [spendCap, setSpendCap] = useState(toMajor(c?.monthlySpendCapMicros ?? null))
  const [tokenLimit, setTokenLimit] = useState(c?.monthlyTokenLimit ?? '')
  const [hardCap, setHardCap] = useState(toMajor(c?.hardCapMicros ?? null))
  const [warn, setWarn] = useState(toMajor(c?.thresholds.warnBelowMicros ?? null))
  const [downgrade, setDowngrade] = useState(toMajor(c?.thresholds.downgradeBelowMicros ?? null))
  const [block, setBlock] = useState(toMajor(c?.thresholds.blockBelowMicros ?? null))
  const [overage, setOverage] = useState(c?.overage ?? 'block')
  const amount = (text: string, field: string): string | null => {
    if (text.trim() === '') return null
    if (text.trim() === '0') return '0'
    const micros = toMicros(text)
    if (micros === null) throw new Error(`${field}: give an amount such as 100 or 12.50`)
    return micros
  }
  return (
    <DialogButton label="Publish new budget version" title="Publish a budget policy version">
      {(close) => (
        <ActionForm
          submitLabel="Publish version"
          reasonRequired={needsReason('post', '/admin/v1/orgs/{organizationId}/budget-policies')}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/orgs/{organizationId}/budget-policies', {
              path: { organizationId: props.organizationId },
              body: {
                monthlySpendCapMicros: amount(spendCap, 'Monthly spend cap'),
                monthlyTokenLimit: tokenLimit.trim() === '' ? null : tokenLimit.trim(),
                hardCapMicros: amount(hardCap, 'Hard cap'),
                thresholds: {
                  warnBelowMicros: amount(warn, 'Warn threshold'),
                  downgradeBelowMicros: amount(downgrade, 'Downgrade threshold'),
                  blockBelowMicros: amount(block, 'Block threshold'),
                },
                overage,
              },
              reason,
            })
            await client.invalidateQueries({ queryKey: ['budget-current', props.organizationId] })
            await client.invalidateQueries({ queryKey: ['budget-versions', props.organizationId] })
          }}
          onDone={close}
        >
          <p className="muted">
            Amounts in USD (major units); empty means no limit. Each publish is a new immutable
            version.
          </p>
          <TextField
            label="Monthly spend cap (USD)"
            inputMode="decimal"
            value={spendCap}
            onChange={(e) => setSpendCap(e.target.value)}
          />
          <TextField
            label="Monthly token limit"
            inputMode="numeric"
            value={tokenLimit}
            onChange={(e) => setTokenLimit(e.target.value)}
          />
          <TextField
            label="Hard cap (USD)"
            inputMode="decimal"
            value={hardCap}
            onChange={(e) => setHardCap(e.target.value)}
          />
          <TextField
            label="Warn when balance below (USD)"
            inputMode="decimal"
            value={warn}
            onChange={(e) => setWarn(e.target.value)}
          />
          <TextField
            label="Downgrade when balance below (USD)"
            inputMode="decimal"
            value={downgrade}
            onChange={(e) => setDowngrade(e.target.value)}
          />
          <TextField
            label="Block when balance below (USD)"
            inputMode="decimal"
            value={block}
            onChange={(e) => setBlock(e.target.value)}
          />
          <SelectField
            label="Over the cap"
            options={['block', 'downgrade', 'allow']}
            value={overage}
            onChange={(e) => setOverage(e.target.value as BudgetPolicyContent['overage'])}
          />
        </ActionForm>
      )}
    </DialogButton>
  )
}

function RollbackBudget(props: { organizationId: string; version: number }) {
  const client = useQueryClient()
  return (
    <DialogButton label={`Roll back to v${props.version}`}>
      {(close) => (
        <ActionForm
          submitLabel={`Re-publish v${props.version}`}
          reasonRequired={needsReason(
            'post',
            '/admin/v1/orgs/{organizationId}/budget-policies/rollback',
          )}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/orgs/{organizationId}/budget-policies/rollback', {
              path: { organizationId: props.organizationId },
              body: { toVersion: props.version },
              reason,
            })
            await client.invalidateQueries({ queryKey: ['budget-current', props.organizationId] })
            await client.invalidateQueries({ queryKey: ['budget-versions', props.organizationId] })
          }}
          onDone={close}
        >
          <p>The content of v{props.version} becomes the next version.</p>
        </ActionForm>
      )}
    </DialogButton>
  )
}
