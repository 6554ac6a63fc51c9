const UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/**
 * Parse an operator's duration: `0`, `500ms`, `30s`, `15m`, `24h`, `90d`, or combinations like
 * `1h30m`. Returns undefined for anything else.
 * @example parseDuration('24h') // 86400000
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim()
  if (value === '0') return 0
  if (!/^(\d+(ms|s|m|h|d))+$/.test(value)) return undefined
  let total = 0
  for (const match of value.matchAll(/(\d+)(ms|s|m|h|d)/g))
    total += Number(match[1]) * UNITS_MS[match[2]!]!
  return Number.isSafeInteger(total) ? total : undefined
}
