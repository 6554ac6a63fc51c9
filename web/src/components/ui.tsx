import {
  useEffect,
  useId,
  useRef,
  useState,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
} from 'react'
import { ApiError, type Reason } from '../api/client'

export function Page(props: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{props.title}</h1>
        {props.actions ? <div className="page-actions">{props.actions}</div> : null}
      </header>
      {props.children}
    </section>
  )
}

export function Panel(props: { title: string; actions?: ReactNode; children: ReactNode }) {
  const id = useId()
  return (
    <section className="panel" aria-labelledby={id}>
      <header className="panel-header">
        <h2 id={id}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  )
}

/** The server's own message (OpenAI's error envelope), with its code. */
export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null
  const error = props.error
  const message =
    error instanceof Error
      ? error.message
      : typeof error === 'string'
        ? error
        : 'Something went wrong.'
  const code = error instanceof ApiError ? error.code : null
  return (
    <p className="error" role="alert">
      {message}
      {code ? <span className="code"> ({code})</span> : null}
    </p>
  )
}

export function Loading(props: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  )
}

/** An empty state says what is missing and what to do next. */
export function Empty(props: { children: ReactNode }) {
  return <div className="empty">{props.children}</div>
}

export function TextField(
  props: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string },
) {
  const id = useId()
  const { label, hint, ...input } = props
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint ? (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      ) : null}
    </div>
  )
}

export function SelectField(
  props: SelectHTMLAttributes<HTMLSelectElement> & {
    label: string
    options: readonly (string | { value: string; label: string })[]
  },
) {
  const id = useId()
  const { label, options, ...select } = props
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...select}>
        {options.map((option) => {
          const o = typeof option === 'string' ? { value: option, label: option } : option
          return (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          )
        })}
      </select>
    </div>
  )
}

export function TextArea(props: {
  label: string
  value: string
  onChange: (value: string) => void
  rows?: number
  required?: boolean
  hint?: string
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        rows={props.rows ?? 3}
        value={props.value}
        required={props.required}
        onChange={(e) => props.onChange(e.target.value)}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint ? (
        <small id={`${id}-hint`} className="muted">
          {props.hint}
        </small>
      ) : null}
    </div>
  )
}

/** Reason codes the docs name; any snake_case code is accepted. */
const REASON_SUGGESTIONS = [
  'customer_requested_key_rotation',
  'customer_requested_revocation',
  'suspected_key_leak',
  'temporary_quota_raise_for_launch',
  'provider_outage_failover',
  'billing_dispute_credit',
  'failed_request_refund',
  'customer_support_investigation',
  'billing_correction',
]

/** The reason a high-risk action needs: a snake_case code and an optional note. */
export function ReasonFields(props: { value: Reason; onChange: (reason: Reason) => void }) {
  const listId = useId()
  return (
    <fieldset className="reason">
      <legend>Reason (required for this action, recorded in the audit log)</legend>
      <TextField
        label="Reason code"
        required
        pattern="[a-z][a-z0-9_]{2,63}"
        list={listId}
        hint="snake_case, for example customer_requested_key_rotation"
        value={props.value.code}
        onChange={(e) => props.onChange({ ...props.value, code: e.target.value })}
      />
      <datalist id={listId}>
        {REASON_SUGGESTIONS.map((code) => (
          <option key={code} value={code} />
        ))}
      </datalist>
      <TextField
        label="Reason note"
        maxLength={500}
        value={props.value.note ?? ''}
        onChange={(e) => props.onChange({ ...props.value, note: e.target.value })}
      />
    </fieldset>
  )
}

/**
 * A form for one admin action: its fields, the reason when the action needs one, a submit
 * button that shows progress, and the server's message when it refuses.
 */
export function ActionForm(props: {
  submitLabel: string
  reasonRequired?: boolean
  onSubmit: (reason: Reason | undefined) => Promise<unknown>
  onDone?: () => void
  children?: ReactNode
  danger?: boolean
}) {
  const [reason, setReason] = useState<Reason>({ code: '', note: '' })
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setPending(true)
    setError(null)
    try {
      const given = props.reasonRequired
        ? { code: reason.code.trim(), ...(reason.note ? { note: reason.note } : {}) }
        : undefined
      await props.onSubmit(given)
      props.onDone?.()
    } catch (err) {
      setError(err)
    } finally {
      setPending(false)
    }
  }
  return (
    <form className="action-form" onSubmit={(e) => void submit(e)} aria-busy={pending}>
      {props.children}
      {props.reasonRequired ? <ReasonFields value={reason} onChange={setReason} /> : null}
      <ErrorNote error={error} />
      <div className="form-actions">
        <button type="submit" disabled={pending} className={props.danger ? 'danger' : 'primary'}>
          {pending ? 'Working…' : props.submitLabel}
        </button>
      </div>
    </form>
  )
}

/** A modal dialog (native <dialog>: focus is trapped inside and Escape closes it). */
export function Dialog(props: {
  title: string
  open: boolean
  onClose: () => void
  children: ReactNode
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId()
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (props.open && !dialog.open) dialog.showModal()
    if (!props.open && dialog.open) dialog.close()
  }, [props.open])
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={props.onClose} className="dialog">
      {props.open ? (
        <>
          <header className="panel-header">
            <h2 id={id}>{props.title}</h2>
            <button type="button" className="ghost" onClick={props.onClose}>
              Close
            </button>
          </header>
          {props.children}
        </>
      ) : null}
    </dialog>
  )
}

/** A button that opens a dialog holding an action form. */
export function DialogButton(props: {
  label: string
  title?: string
  disabled?: boolean
  danger?: boolean
  children: (close: () => void) => ReactNode
}) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button
        type="button"
        className={props.danger ? 'danger' : 'secondary'}
        disabled={props.disabled}
        onClick={() => setOpen(true)}
      >
        {props.label}
      </button>
      <Dialog title={props.title ?? props.label} open={open} onClose={() => setOpen(false)}>
        {props.children(() => setOpen(false))}
      </Dialog>
    </>
  )
}

/** A before/after diff of two JSON values, field by field. */
export function JsonDiff(props: { before: unknown; after: unknown }) {
  const rows = diffRows(props.before, props.after)
  if (rows.length === 0) return <p className="muted">No field changed.</p>
  return (
    <table className="diff">
      <caption className="visually-hidden">Changed fields</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.path} className={`diff-${row.kind}`}>
            <th scope="row">
              <code>{row.path}</code>
            </th>
            <td>
              {row.before === undefined ? (
                <span className="muted">—</span>
              ) : (
                <code>{show(row.before)}</code>
              )}
            </td>
            <td>
              {row.after === undefined ? (
                <span className="muted">—</span>
              ) : (
                <code>{show(row.after)}</code>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

interface DiffRow {
  path: string
  kind: 'added' | 'removed' | 'changed'
  before: unknown
  after: unknown
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Leaf-level differences: objects recurse, arrays and scalars compare whole. */
export function diffRows(before: unknown, after: unknown, prefix = ''): DiffRow[] {
  if (isRecord(before) || isRecord(after)) {
    const b = isRecord(before) ? before : {}
    const a = isRecord(after) ? after : {}
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()
    return keys.flatMap((key) => diffRows(b[key], a[key], prefix ? `${prefix}.${key}` : key))
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return []
  const kind = before === undefined ? 'added' : after === undefined ? 'removed' : 'changed'
  return [{ path: prefix || '(value)', kind, before, after }]
}

export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <button
      type="button"
      className="secondary"
      onClick={() => {
        void navigator.clipboard?.writeText(props.text).then(() => setCopied(true))
      }}
    >
      {copied ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  )
}
