import type { Clock } from '../lib/clock.js'

/** The upstream kinds Ferry can call. A provider account names one. */
export const PROVIDER_KINDS = [
  'openai',
  'openai-compatible',
  'azure-openai',
  'anthropic',
  'mock',
] as const

/** One of PROVIDER_KINDS; stored on the provider account. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number]

/** Per-account upstream timeouts, in milliseconds. Each one, when hit, is an UpstreamTimeoutError. */
export interface UpstreamTimeouts {
  /** TCP + TLS connect. @default 10000 */
  connectMs: number
  /**
   * From sending the request to the response headers. For a non-streaming call this is the
   * whole generation time, so it is generous. @default 120000
   */
  headersMs: number
  /** Longest silence between two body chunks (a stalled stream). @default 120000 */
  bodyIdleMs: number
}

/** Timeouts of an account that sets none. */
export const DEFAULT_UPSTREAM_TIMEOUTS: Readonly<UpstreamTimeouts> = Object.freeze({
  connectMs: 10_000,
  headersMs: 120_000,
  bodyIdleMs: 120_000,
})

/**
 * A provider account as the provider layer needs it: the credential is already decrypted and
 * lives only in memory for the call. `label` (never the credential) is what errors and logs show.
 */
export interface ProviderAccount {
  id: string
  /** Human label for messages and logs, e.g. `openai-prod`. */
  label: string
  kind: ProviderKind
  /** Base URL including any path prefix, e.g. `https://api.openai.com/v1`. */
  baseUrl: string
  /** Decrypted credential; null for upstreams without auth (a local vLLM or Ollama). */
  credential: string | null
  /** Sent on every upstream call (e.g. `OpenAI-Organization`). Ferry's own headers win. */
  extraHeaders?: Readonly<Record<string, string>>
  timeouts?: Partial<UpstreamTimeouts>
  /** Kind-specific settings, validated by the adapter (see `providerSettingsSchema`). */
  settings?: Readonly<Record<string, unknown>>
}

/** Everything one upstream call needs besides the request body. */
export interface UpstreamContext {
  account: ProviderAccount
  /** Ferry's request ID; sent upstream as `x-request-id` so both sides' logs line up. */
  requestId: string
  /** Aborts the upstream call; the HTTP layer fires it when the client goes away. */
  signal: AbortSignal
  clock: Clock
}

/** The account's timeouts with defaults filled in. */
export function resolveTimeouts(account: ProviderAccount): UpstreamTimeouts {
  return { ...DEFAULT_UPSTREAM_TIMEOUTS, ...account.timeouts }
}
