import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, needsReason, urlOf } from '../../api/client'
import type { LedgerEntry } from '../../api/models'
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
import { DownloadButton } from '../../components/download-button'
import { currentMonth, formatMicros, formatTime, newIdempotencyKey, toMicros } from '../../format'
import { Link } from '../../router'
import { useCan } from '../../session'
import { useBalance } from '../orgs/org-queries'

function useInvalidateBilling(organizationId: string) {
  const client = useQueryClient()
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['balance', organizationId] }),
      client.invalidateQueries({ queryKey: ['ledger', organizationId] }),
    ])
}

/**
 * One idempotency key per attempt: a retry after a network failure reuses it (the server
 * answers the first result), a new operation after a success gets a fresh one.
 */
function useIdempotencyKey(prefix: string): [string, () => void] {
  const [key, setKey] = useState(() => newIdempotencyKey(prefix))
  return [key, () => setKey(newIdempotencyKey(prefix))]
}

function requireMicros(amount: string): string {
  const micros = toMicros(amount)
  if (micros === null) throw new Error('Give a positive amount such as 25 or 12.50 (USD).')
  return micros
}

/** Balance, ledger, credits, refunds, adjustments, approvals and invoice export of one organization. */
export function BillingPanel(props: { organizationId: string }) {
  const can = useCan()
  const balance = useBalance(props.organizationId)
  const [kind, setKind] = useState('')
  const entries = useQuery({
    queryKey: ['ledger', props.organizationId, kind],
    queryFn: () =>
      api.get('/admin/v1/orgs/{organizationId}/billing/entries', {
        path: { organizationId: props.organizationId },
        query: { limit: 50, ...(kind ? { kind: kind as 'credit' } : {}) },
      }),
  })
  const writable = can('billing.write')
  return (
    <Panel
      title="Balance and ledger"
      actions={
        writable ? (
          <div className="row-actions">
            <Credit organizationId={props.organizationId} />
            <Refund organizationId={props.organizationId} />
            <Adjustment organizationId={props.organizationId} />
            <RequestApproval organizationId={props.organizationId} />
          </div>
        ) : null
      }
    >
      {balance.isPending ? <Loading what="the balance" /> : null}
      <ErrorNote error={balance.error} />
      {balance.data ? (
        balance.data.accounts.length === 0 ? (
          <Empty>No prepaid account yet: add credit to open one.</Empty>
        ) : (
          <table>
            <caption>Balances</caption>
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Balance</th>
                <th scope="col">Held</th>
                <th scope="col">Available</th>
              </tr>
            </thead>
            <tbody>
              {balance.data.accounts.map((a) => (
                <tr key={a.accountId}>
                  <td>{a.environment}</td>
                  <td data-testid={`balance-${a.environment}`}>
                    {formatMicros(a.balanceMicros, a.currency)}
                  </td>
                  <td>{formatMicros(a.heldMicros, a.currency)}</td>
                  <td>{formatMicros(a.availableMicros, a.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <InvoiceExport organizationId={props.organizationId} />
      <div className="filters">
        <SelectField
          label="Entry kind"
          value={kind}
          onChange={(e) => setKind(e.target.value)}
          options={[
            { value: '', label: 'all kinds' },
            'credit',
            'usage_charge',
            'refund',
            'void',
            'adjustment',
            'usage_waiver',
            'credit_expiry',
            'invoice_application',
          ]}
        />
      </div>
      <ErrorNote error={entries.error} />
      {entries.data?.data.length === 0 ? (
        <Empty>No ledger entries{kind ? ` of kind ${kind}` : ''}.</Empty>
      ) : null}
      {entries.data && entries.data.data.length > 0 ? (
        <table>
          <caption>Ledger entries (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">Kind</th>
              <th scope="col">Amount</th>
              <th scope="col">Balance after</th>
              <th scope="col">Request</th>
              <th scope="col">Entry</th>
              {writable ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {entries.data.data.map((e) => (
              <LedgerRow
                key={e.entryId}
                entry={e}
                writable={writable}
                organizationId={props.organizationId}
              />
            ))}
          </tbody>
        </table>
      ) : null}
    </Panel>
  )
}

/** The kinds a void reverses (usage is corrected by a refund instead). */
const VOIDABLE = new Set(['credit', 'invoice_application', 'adjustment'])

function LedgerRow(props: { entry: LedgerEntry; writable: boolean; organizationId: string }) {
  const e = props.entry
  return (
    <tr>
      <td>{formatTime(e.createdAt)}</td>
      <td>{e.kind}</td>
      <td>{formatMicros(e.amountMicros)}</td>
      <td>{formatMicros(e.balanceAfterMicros)}</td>
      <td>
        {e.requestId ? (
          <Link to={`/evidence/${encodeURIComponent(e.requestId)}`}>{e.requestId}</Link>
        ) : (
          '—'
        )}
      </td>
      <td>
        <code>{e.entryId}</code>
      </td>
      {props.writable ? (
        <td>
          {VOIDABLE.has(e.kind) ? (
            <VoidEntry entry={e} organizationId={props.organizationId} />
          ) : null}
        </td>
      ) : null}
    </tr>
  )
}

/** Reverse a credit, invoice application or adjustment by a new `void` entry (reason). */
function VoidEntry(props: { entry: LedgerEntry; organizationId: string }) {
  const invalidate = useInvalidateBilling(props.organizationId)
  const [idempotencyKey, renewKey] = useIdempotencyKey('void')
  const e = props.entry
  return (
    <DialogButton label="Void" title={`Void ${e.kind} ${e.entryId}`} danger>
      {(close) => (
        <ActionForm
          danger
          submitLabel="Void entry"
          reasonRequired={needsReason('post', '/admin/v1/billing/entries/{entryId}/void')}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/billing/entries/{entryId}/void', {
              path: { entryId: e.entryId },
              body: { idempotencyKey },
              reason,
            })
            renewKey()
            await invalidate()
          }}
          onDone={close}
        >
          <p>
            A new <code>void</code> entry reverses this {e.kind} of {formatMicros(e.amountMicros)}.
            The entry itself never changes. Ferry refuses when the money is already spent or the
            entry was voided before.
          </p>
        </ActionForm>
      )}
    </DialogButton>
  )
}

function InvoiceExport(props: { organizationId: string }) {
  const [month, setMonth] = useState(currentMonth())
  const [environment, setEnvironment] = useState<'live' | 'test'>('live')
  const href = (format: 'json' | 'csv') =>
    urlOf('/admin/v1/orgs/{organizationId}/billing/invoices/{month}', {
      path: { organizationId: props.organizationId, month },
      query: { environment, format },
    })
  return (
    <fieldset className="inline">
      <legend>Invoice export</legend>
      <TextField
        label="Invoice month"
        type="month"
        value={month}
        onChange={(e) => setMonth(e.target.value)}
      />
      <SelectField
        label="Invoice environment"
        options={['live', 'test']}
        value={environment}
        onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
      />
      <DownloadButton
        label="Download invoice CSV"
        filename={`invoice-${month}.csv`}
        href={href('csv')}
      />
      <a className="button secondary" href={href('json')} target="_blank" rel="noreferrer">
        Open invoice JSON
      </a>
    </fieldset>
  )
}

function ApprovalField(props: { value: string; onChange: (v: string) => void }) {
  return (
    <TextField
      label="Approval ID (above the approval threshold)"
      hint="apr_… granted by a second admin; leave empty below the threshold"
      value={props.value}
      onChange={(e) => props.onChange(e.target.value.trim())}
    />
  )
}

function Credit(props: { organizationId: string }) {
  const invalidate = useInvalidateBilling(props.organizationId)
  const [amount, setAmount] = useState('')
  const [environment, setEnvironment] = useState<'live' | 'test'>('live')
  const [category, setCategory] = useState<'paid' | 'promotional'>('paid')
  const [expiresAt, setExpiresAt] = useState('')
  const [invoiceId, setInvoiceId] = useState('')
  const [approvalId, setApprovalId] = useState('')
  const [idempotencyKey, renewKey] = useIdempotencyKey('credit')
  return (
    <DialogButton label="Add credit">
      {(close) => (
        <ActionForm
          submitLabel="Add credit"
          reasonRequired={needsReason('post', '/admin/v1/orgs/{organizationId}/billing/credits')}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/orgs/{organizationId}/billing/credits', {
              path: { organizationId: props.organizationId },
              body: {
                amountMicros: requireMicros(amount),
                environment,
                category,
                idempotencyKey,
                ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
                ...(invoiceId.trim() ? { invoiceId: invoiceId.trim() } : {}),
                ...(approvalId ? { approvalId } : {}),
              },
              reason,
            })
            renewKey()
            await invalidate()
          }}
          onDone={close}
        >
          <TextField
            label="Credit amount (USD)"
            required
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <SelectField
            label="Credit environment"
            options={['live', 'test']}
            value={environment}
            onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
          />
          <SelectField
            label="Category"
            options={['paid', 'promotional']}
            value={category}
            onChange={(e) => setCategory(e.target.value as 'paid' | 'promotional')}
          />
          <TextField
            label="Credit expires at (optional)"
            hint="What is left of this credit lapses then (a credit_expiry entry); empty: never"
            type="datetime-local"
            value={expiresAt}
            onChange={(e) => setExpiresAt(e.target.value)}
          />
          <TextField
            label="Invoice ID (optional)"
            hint="A paid invoice applied to the balance: the entry is an invoice_application"
            maxLength={128}
            value={invoiceId}
            onChange={(e) => setInvoiceId(e.target.value)}
          />
          <ApprovalField value={approvalId} onChange={setApprovalId} />
        </ActionForm>
      )}
    </DialogButton>
  )
}

/** A refund starts from the request ID: Ferry finds its settlement entry. */
function Refund(props: { organizationId: string }) {
  const invalidate = useInvalidateBilling(props.organizationId)
  const [requestId, setRequestId] = useState('')
  const [charge, setCharge] = useState<LedgerEntry | null>(null)
  const [lookupError, setLookupError] = useState<unknown>(null)
  const [amount, setAmount] = useState('')
  const [approvalId, setApprovalId] = useState('')
  const [idempotencyKey, renewKey] = useIdempotencyKey('refund')
  const lookUp = async () => {
    setLookupError(null)
    setCharge(null)
    try {
      const page = await api.get('/admin/v1/orgs/{organizationId}/billing/entries', {
        path: { organizationId: props.organizationId },
        query: { requestId: requestId.trim(), kind: 'usage_charge', limit: 10 },
      })
      const found = page.data[0]
      if (!found)
        throw new Error(`No usage charge of this organization has request ID ${requestId.trim()}.`)
      setCharge(found)
      setAmount(formatMicros(found.amountMicros.replace('-', ''), '').trim())
    } catch (err) {
      setLookupError(err)
    }
  }
  return (
    <DialogButton label="Refund a request">
      {(close) => (
        <>
          <form
            className="action-form"
            onSubmit={(e) => {
              e.preventDefault()
              void lookUp()
            }}
          >
            <TextField
              label="Request ID"
              required
              value={requestId}
              onChange={(e) => setRequestId(e.target.value)}
            />
            <ErrorNote error={lookupError} />
            <div className="form-actions">
              <button type="submit" className="secondary">
                Find the charge
              </button>
            </div>
          </form>
          {charge ? (
            <ActionForm
              submitLabel="Refund"
              reasonRequired={needsReason(
                'post',
                '/admin/v1/orgs/{organizationId}/billing/refunds',
              )}
              onSubmit={async (reason) => {
                await api.post('/admin/v1/orgs/{organizationId}/billing/refunds', {
                  path: { organizationId: props.organizationId },
                  body: {
                    requestId: charge.requestId ?? requestId.trim(),
                    settlementEntryId: charge.entryId,
                    amountMicros: requireMicros(amount.replace(/,/g, '')),
                    idempotencyKey,
                    ...(approvalId ? { approvalId } : {}),
                  },
                  reason,
                })
                renewKey()
                await invalidate()
              }}
              onDone={close}
            >
              <p>
                Charge <code>{charge.entryId}</code> of {formatMicros(charge.amountMicros)} (
                {charge.modelServed ?? 'model unknown'}, {formatTime(charge.createdAt)}).
              </p>
              <TextField
                label="Refund amount (USD)"
                required
                inputMode="decimal"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
              />
              <ApprovalField value={approvalId} onChange={setApprovalId} />
            </ActionForm>
          ) : null}
        </>
      )}
    </DialogButton>
  )
}

function Adjustment(props: { organizationId: string }) {
  const invalidate = useInvalidateBilling(props.organizationId)
  const [amount, setAmount] = useState('')
  const [direction, setDirection] = useState<'credit' | 'debit'>('credit')
  const [environment, setEnvironment] = useState<'live' | 'test'>('live')
  const [approvalId, setApprovalId] = useState('')
  const [idempotencyKey, renewKey] = useIdempotencyKey('adjustment')
  return (
    <DialogButton label="Manual adjustment">
      {(close) => (
        <ActionForm
          submitLabel="Post adjustment"
          reasonRequired={needsReason(
            'post',
            '/admin/v1/orgs/{organizationId}/billing/adjustments',
          )}
          onSubmit={async (reason) => {
            await api.post('/admin/v1/orgs/{organizationId}/billing/adjustments', {
              path: { organizationId: props.organizationId },
              body: {
                amountMicros: requireMicros(amount),
                direction,
                environment,
                idempotencyKey,
                ...(approvalId ? { approvalId } : {}),
              },
              reason,
            })
            renewKey()
            await invalidate()
          }}
          onDone={close}
        >
          <SelectField
            label="Direction"
            options={['credit', 'debit']}
            value={direction}
            onChange={(e) => setDirection(e.target.value as 'credit' | 'debit')}
          />
          <TextField
            label="Adjustment amount (USD)"
            required
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <SelectField
            label="Adjustment environment"
            options={['live', 'test']}
            value={environment}
            onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
          />
          <ApprovalField value={approvalId} onChange={setApprovalId} />
        </ActionForm>
      )}
    </DialogButton>
  )
}

function RequestApproval(props: { organizationId: string }) {
  const [action, setAction] = useState<
    'billing.credit' | 'billing.refund' | 'billing.manual_adjustment'
  >('billing.credit')
  const [amount, setAmount] = useState('')
  const [environment, setEnvironment] = useState<'live' | 'test'>('live')
  const [created, setCreated] = useState<string | null>(null)
  return (
    <DialogButton label="Request approval">
      {() => (
        <ActionForm
          submitLabel="Request approval"
          onSubmit={async () => {
            const approval = await api.post('/admin/v1/orgs/{organizationId}/billing/approvals', {
              path: { organizationId: props.organizationId },
              body: { action, environment, amountMicros: requireMicros(amount) },
            })
            setCreated(approval.approvalId)
          }}
        >
          <p className="muted">
            Amounts above the approval threshold need a second admin (billing.approve) to grant an
            approval first.
          </p>
          <SelectField
            label="Action to approve"
            options={['billing.credit', 'billing.refund', 'billing.manual_adjustment']}
            value={action}
            onChange={(e) => setAction(e.target.value as typeof action)}
          />
          <TextField
            label="Approval amount (USD)"
            required
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <SelectField
            label="Approval environment"
            options={['live', 'test']}
            value={environment}
            onChange={(e) => setEnvironment(e.target.value as 'live' | 'test')}
          />
          {created ? (
            <p role="status">
              Approval <code>{created}</code> is waiting for a second admin. Send them this ID
              (Approvals page), then use it in the action's form.
            </p>
          ) : null}
        </ActionForm>
      )}
    </DialogButton>
  )
}
