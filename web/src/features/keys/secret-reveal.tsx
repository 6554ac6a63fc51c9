import { CopyButton } from '../../components/ui'

/** A key's secret, shown once: the warning says so, and the copy button saves retyping it. */
export function SecretReveal(props: { secret: string; label: string; onDismiss: () => void }) {
  return (
    <div className="secret" role="alert" aria-labelledby="secret-title">
      <h3 id="secret-title">Copy the secret of {props.label} now</h3>
      <p>
        <strong>This is the only time Ferry shows it.</strong> Ferry keeps only a keyed hash: if you
        lose it, rotate the key to get a new one.
      </p>
      <p className="secret-value">
        <code data-testid="key-secret">{props.secret}</code>
      </p>
      <div className="form-actions">
        <CopyButton text={props.secret} label="Copy secret" />
        <button type="button" className="primary" onClick={props.onDismiss}>
          I have stored it
        </button>
      </div>
    </div>
  )
}
