import { TextField } from './ui'

/** Requests and tokens per minute as typed in a form: empty means no limit. */
export interface RateLimitText {
  requestsPerMinute: string
  tokensPerMinute: string
}

export function rateLimitText(limits: {
  requestsPerMinute?: number
  tokensPerMinute?: number
}): RateLimitText {
  return {
    requestsPerMinute: limits.requestsPerMinute?.toString() ?? '',
    tokensPerMinute: limits.tokensPerMinute?.toString() ?? '',
  }
}

/** The API's rate-limit object: an empty field is left out (no limit); the server checks ranges. */
export function rateLimitsOf(text: RateLimitText): {
  requestsPerMinute?: number
  tokensPerMinute?: number
} {
  const rpm = text.requestsPerMinute.trim()
  const tpm = text.tokensPerMinute.trim()
  return {
    ...(rpm !== '' ? { requestsPerMinute: Number(rpm) } : {}),
    ...(tpm !== '' ? { tokensPerMinute: Number(tpm) } : {}),
  }
}

/** Two number fields; the label says whose limits they are. */
export function RateLimitFields(props: {
  value: RateLimitText
  onChange: (value: RateLimitText) => void
  owner: string
}) {
  return (
    <fieldset className="inline">
      <legend>Rate limits of the {props.owner} (empty: no limit)</legend>
      <TextField
        label="Requests per minute"
        type="number"
        min={1}
        step={1}
        value={props.value.requestsPerMinute}
        onChange={(e) => props.onChange({ ...props.value, requestsPerMinute: e.target.value })}
      />
      <TextField
        label="Tokens per minute"
        type="number"
        min={1}
        step={1}
        value={props.value.tokensPerMinute}
        onChange={(e) => props.onChange({ ...props.value, tokensPerMinute: e.target.value })}
      />
    </fieldset>
  )
}

/** `12 rpm · 40,000 tpm`, or `none`. */
export function describeRateLimits(limits: {
  requestsPerMinute?: number
  tokensPerMinute?: number
}): string {
  const parts = [
    limits.requestsPerMinute !== undefined ? `${limits.requestsPerMinute} requests/min` : null,
    limits.tokensPerMinute !== undefined ? `${limits.tokensPerMinute} tokens/min` : null,
  ].filter((p) => p !== null)
  return parts.length > 0 ? parts.join(' · ') : 'none'
}
