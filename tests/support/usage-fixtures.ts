import { newLedgerId } from '../../src/billing/billing-ids.js'
import type { Db } from '../../src/storage/index.js'
import {
  draftToUsageRow,
  insertUsageEvents,
  type UsageDraft,
  type UsageEventsTable,
} from '../../src/usage/index.js'

/** A usage draft with every field set; override what a test is about. */
export function usageDraft(overrides: Partial<UsageDraft> = {}): UsageDraft {
  return {
    requestId: `req_${Math.random().toString(36).slice(2, 14)}`,
    startedAt: '2026-03-10T12:00:00.000Z',
    organizationId: 'org_00000000000000000000000000',
    keyId: 'key_a',
    keyLabel: 'sk-ferry-…aaaa',
    environment: 'live',
    endpoint: 'chat.completions',
    modelRequested: 'mock',
    modelServed: 'mock',
    provider: 'mock',
    providerAccountId: null,
    routePolicyScope: 'implicit',
    routePolicyVersion: '0',
    route: null,
    fallbackReason: null,
    downgradeReason: null,
    budgetPolicyId: null,
    budgetPolicyVersion: null,
    budgetDecision: 'allow',
    budgetReason: null,
    priceTableVersion: null,
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 5,
    reasoningTokens: 0,
    promptTokensSource: 'reported',
    completionTokensSource: 'reported',
    heldMicros: 0n,
    settlementOutcome: 'completed',
    httpStatus: 200,
    upstreamStatus: 200,
    errorCode: null,
    attempts: 1,
    attemptsJson: null,
    latencyMs: 12,
    upstreamTtfbMs: 5,
    stream: false,
    streamOutcome: null,
    chunksDelivered: null,
    ...overrides,
  }
}

/** A stored row from a draft, at `createdAt`, charging `costMicros` (no ledger entry). */
export function usageRow(
  draft: UsageDraft,
  facts: { createdAt: string; costMicros?: bigint },
): UsageEventsTable {
  return draftToUsageRow(draft, {
    usageId: newLedgerId('use', Date.parse(facts.createdAt)),
    createdAt: facts.createdAt,
    costMicros: facts.costMicros ?? 0n,
    waivedMicros: 0n,
    ledgerEntryId: null,
    settlementRule: null,
  })
}

/** Insert rows in batches of `batch` (one statement per 200 rows inside). */
export async function insertUsageRows(
  db: Db,
  rows: readonly UsageEventsTable[],
  batch = 2000,
): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await insertUsageEvents(db, rows.slice(i, i + batch))
}

/** Parse RFC 4180 CSV (quoted cells, doubled quotes, CRLF) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += c
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/** CSV rows as records keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text)
  return rows.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i]!])))
}
