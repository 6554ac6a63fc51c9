import type { AuditReason } from '../audit/index.js'

export interface ReasonFlags {
  reason?: string
  note?: string
}

export function reasonFrom(flags: ReasonFlags): AuditReason | null {
  return flags.reason ? { code: flags.reason, ...(flags.note ? { note: flags.note } : {}) } : null
}

/** Print a record as JSON, or as aligned `key: value` lines under a title. */
export function printRecord(
  record: object,
  options: { json?: boolean | undefined; title: string },
): void {
  if (options.json) {
    console.log(JSON.stringify(record, null, 2))
    return
  }
  console.log(options.title)
  for (const [key, value] of Object.entries(record)) {
    console.log(
      `  ${key.padEnd(14)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    )
  }
}
