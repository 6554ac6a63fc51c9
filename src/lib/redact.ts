/**
 * Patterns of credentials that must never be stored, logged or exported, wherever they appear in
 * free text (reason notes, metadata, error messages, captured prompts).
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /\bfk_(?:live|test)_[A-Za-z0-9_]{16,}/g, // Ferry customer keys
  /\bfadm_[A-Za-z0-9_]{16,}/g, // Ferry admin API tokens
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI / Anthropic style keys (sk-, sk-proj-, sk-ant-)
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key IDs
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/-]{12,}=*/gi,
  /\b(?:api[_-]?key|secret|password|passwd|token)\s*[:=]\s*["']?[^\s"',;]{6,}/gi,
]

export const REDACTED = '[redacted]'

/** Replace every credential-looking run in `text` by `[redacted]`. */
export function scrubSecrets(text: string): string {
  let out = text
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED)
  return out
}

/** True when `text` contains something that looks like a credential. */
export function looksLikeSecret(text: string): boolean {
  return SECRET_PATTERNS.some((pattern) => {
    pattern.lastIndex = 0
    const found = pattern.test(text)
    pattern.lastIndex = 0
    return found
  })
}
