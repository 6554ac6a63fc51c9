/**
 * Masking of credentials and known secret patterns in captured prompts and completions, before
 * anything is stored. Pure: no I/O, no clock. A masked value is replaced whole by a marker that
 * names its kind (`[masked:openai_key]`) and keeps no character of the secret, so nothing stored
 * can be turned back into it. docs/request-logs.md lists the same patterns.
 */

/** The kinds of secret the masker knows; each marker reads `[masked:<kind>]`. */
export const MASK_KINDS = [
  'private_key',
  'jwt',
  'anthropic_key',
  'openai_key',
  'ferry_key',
  'ferry_admin_token',
  'stripe_key',
  'aws_access_key',
  'github_token',
  'slack_token',
  'slack_webhook',
  'google_api_key',
  'bearer_token',
  'url_password',
  'secret_value',
  'card_number',
] as const
export type MaskKind = (typeof MASK_KINDS)[number]

/** The text that stands in for a masked secret. */
export function maskMarker(kind: MaskKind): string {
  return `[masked:${kind}]`
}

interface MaskRule {
  readonly kind: MaskKind
  readonly pattern: RegExp
  /** Build the replacement from the match groups; default: the whole match becomes the marker. */
  readonly replace?: (match: RegExpExecArray | string[], marker: string) => string | undefined
}

// Names whose value is a secret wherever they appear as `name=value`, `name: value` or
// `"name": "value"` (query strings, env files, headers, JSON inside a string).
const SECRET_NAMES =
  'password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|access[_-]?token|refresh[_-]?token|auth[_-]?token|id[_-]?token|client[_-]?secret|private[_-]?key|credentials?'

/**
 * Rules run in this order: whole blocks first (a PEM block, a JWT), then prefixed token formats,
 * then the contextual ones (`Bearer …`, `password=…`, `user:pass@host`), then card numbers. No
 * marker matches any rule, so masking twice changes nothing. Every quantifier is bounded or
 * anchored to a boundary, so a long input costs linear time.
 */
const RULES: readonly MaskRule[] = [
  {
    kind: 'private_key',
    // A whole block, or a block cut off before its END line (a truncated paste).
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\:,-]*)/g,
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g,
  },
  { kind: 'anthropic_key', pattern: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { kind: 'openai_key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g },
  { kind: 'ferry_key', pattern: /\bfk_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'ferry_admin_token', pattern: /\bfadm_[A-Za-z0-9_]{16,}/g },
  { kind: 'stripe_key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  {
    kind: 'github_token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g,
  },
  { kind: 'slack_token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'slack_webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{8,}/g,
  },
  { kind: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  {
    kind: 'bearer_token',
    // The scheme stays. A credential has a digit or a symbol: "Basic understanding" is prose.
    pattern:
      /\b([Bb]earer|BEARER|Basic)(\s{1,8})(?=[A-Za-z0-9._~+/-]*[0-9._~+/=-])[A-Za-z0-9._~+/-]{8,}=*/g,
    replace: (m, marker) => `${m[1]}${m[2]}${marker}`,
  },
  {
    kind: 'url_password',
    // scheme://user:password@host: the user stays, the password goes.
    pattern: /\b([a-z][a-z0-9+.-]{1,20}:\/\/[^\s/:@"'<>]{1,256}:)([^\s/@"'<>]{1,512})@/gi,
    replace: (m, marker) => `${m[1]}${marker}@`,
  },
  {
    kind: 'secret_value',
    // The name (with up to 32 characters of prefix, so `aws_secret_access_key` and `DB_PASSWORD`
    // match), its separator with any quotes kept, and the value up to a delimiter.
    pattern: new RegExp(
      `(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{0,32}?(?:${SECRET_NAMES}))(\\\\?["']?\\s{0,8}[:=]\\s{0,8}\\\\?["']?)(?!\\[masked:)([^\\s"'&,;}\\]<>\\\\]{1,4096})`,
      'gi',
    ),
    replace: (m, marker) => `${m[1]}${m[2]}${marker}`,
  },
  {
    kind: 'card_number',
    // Payment networks' first digits (2–6): epoch-millisecond timestamps (1…) are left alone.
    pattern: /(?<![0-9])[2-6](?:[0-9][ -]?){11,17}[0-9](?![0-9])/g,
    replace: (m, marker) => (passesLuhn(m[0].replace(/[ -]/g, '')) ? marker : undefined),
  },
]

/** True when the digits pass the Luhn check that every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  if (!/^[0-9]{13,19}$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** What masking did: the masked text and how many secrets it replaced. */
export interface MaskResult<T> {
  readonly value: T
  readonly masked: number
}

/**
 * Replace every credential-shaped run in `text` by its marker.
 * @example
 * maskSecrets('key sk-abcdefghijklmnop1234 ok').value // 'key [masked:openai_key] ok'
 */
export function maskSecrets(text: string): MaskResult<string> {
  let out = text
  let masked = 0
  for (const rule of RULES) {
    const marker = maskMarker(rule.kind)
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      // (match, ...groups, offset, input[, namedGroups]): keep match and groups only.
      const end = args.findIndex((a) => typeof a === 'number')
      const groups = args.slice(0, end) as string[]
      const replaced = rule.replace ? rule.replace(groups, marker) : marker
      if (replaced === undefined) return groups[0]!
      masked += 1
      return replaced
    })
  }
  return { value: out, masked }
}

const SECRET_KEY = new RegExp(
  `^[A-Za-z0-9_-]{0,32}?(?:${SECRET_NAMES}|authorization|cookie|x-api-key)$`,
  'i',
)

/**
 * Mask a JSON value in depth: every string (object keys included) goes through `maskSecrets`,
 * and the string value of a key named like a secret (`password`, `api_key`, `authorization`, …)
 * is masked whole. Structure, numbers, booleans and nulls are kept, so the result is the same
 * JSON shape (messages, tool calls, tool arguments that are JSON inside a string stay valid:
 * a marker holds no quote or backslash).
 */
export function maskJson(value: unknown): MaskResult<unknown> {
  let masked = 0
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = maskSecrets(v)
      masked += r.masked
      return r.value
    }
    if (Array.isArray(v)) return v.map(walk)
    if (typeof v === 'object' && v !== null) {
      // Object.fromEntries defines own properties: a client's `"__proto__"` key stays a key
      // (assigning it would set the copy's prototype instead, and drop the key from the log).
      return Object.fromEntries(
        Object.entries(v).map(([key, inner]) => {
          const k = walk(key) as string
          if (typeof inner === 'string' && inner !== '' && SECRET_KEY.test(key)) {
            masked += 1
            return [k, maskMarker('secret_value')]
          }
          return [k, walk(inner)]
        }),
      )
    }
    return v
  }
  const result = walk(value)
  return { value: result, masked }
}
