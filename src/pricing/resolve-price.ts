import type { EffectivePrice } from './compute-cost.js'
import { byPrecedence, findPriceRow, type PriceRow, type PriceTarget } from './price-table.js'

/** One compiled table version: its rows in precedence order. */
export interface CompiledPriceTable {
  readonly priceTableId: string
  readonly version: number
  readonly markupBps: number
  readonly orderedRows: readonly PriceRow[]
}

/** Every price table in force: the base table and each organization's override. */
export interface PriceSnapshot {
  readonly base: CompiledPriceTable | null
  readonly overrides: ReadonlyMap<string, CompiledPriceTable>
}

export const EMPTY_PRICE_SNAPSHOT: PriceSnapshot = { base: null, overrides: new Map() }

export function compilePriceTable(table: {
  priceTableId: string
  version: number
  content: { rows: readonly PriceRow[]; markupBps: number }
}): CompiledPriceTable {
  return {
    priceTableId: table.priceTableId,
    version: table.version,
    markupBps: table.content.markupBps,
    orderedRows: byPrecedence(table.content.rows),
  }
}

/** Why no price applies. */
export type PriceLookupMiss = 'no_price_table' | 'no_price_for_model'

/**
 * The price for `target` as seen by `organizationId`: the organization's override row if it has
 * one, else the base row with the override's markup. Pure and synchronous.
 */
export function resolvePrice(
  snapshot: PriceSnapshot,
  lookup: { organizationId: string | null; target: PriceTarget },
): { ok: true; price: EffectivePrice } | { ok: false; miss: PriceLookupMiss } {
  const { base } = snapshot
  if (base === null) return { ok: false, miss: 'no_price_table' }
  const override =
    lookup.organizationId === null ? undefined : snapshot.overrides.get(lookup.organizationId)
  const versionLabel =
    override === undefined
      ? String(base.version)
      : `${base.version}+${lookup.organizationId}@${override.version}`
  const fromOverride = override ? findPriceRow(override.orderedRows, lookup.target) : undefined
  if (fromOverride !== undefined) {
    return {
      ok: true,
      price: {
        row: fromOverride,
        markupBps: 0,
        priceTableVersion: base.version,
        overrideVersion: override!.version,
        source: 'override',
        versionLabel,
      },
    }
  }
  const row = findPriceRow(base.orderedRows, lookup.target)
  if (row === undefined) return { ok: false, miss: 'no_price_for_model' }
  return {
    ok: true,
    price: {
      row,
      markupBps: override?.markupBps ?? 0,
      priceTableVersion: base.version,
      overrideVersion: override?.version ?? null,
      source: 'base',
      versionLabel,
    },
  }
}
