/**
 * One line of `ferry doctor`'s answer. `high` means the deployment is exposed now (the command
 * exits non-zero); `medium` is a risk that depends on how it is run; `low` is worth knowing;
 * `ok` says a check ran and passed, so a clean report is visibly a checked one.
 */
export const SEVERITIES = ['high', 'medium', 'low', 'ok'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface Finding {
  /** Stable identifier, e.g. `master_key.generated` (scripts match on it). */
  id: string
  severity: Severity
  /** What was found, in one sentence. */
  summary: string
  /** What to do about it; empty for `ok`. */
  fix: string
}

/** Most severe first, then by id, so the report reads top-down and diffs stay stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (s: Severity) => SEVERITIES.indexOf(s)
  return [...findings].sort((a, b) => rank(a.severity) - rank(b.severity) || (a.id < b.id ? -1 : 1))
}

export function hasHighRisk(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'high')
}
