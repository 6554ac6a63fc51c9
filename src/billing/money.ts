/**
 * Money in Ferry: a `bigint` count of **micros** (millionths) of the deployment's one currency
 * (`billing.currency`, default USD): 1 USD = 1_000_000 micros. Never a `number`, never a float.
 * On the wire money is a decimal string of micros (`"1500000"`), so JSON never rounds it.
 *
 * The one rounding rule: a line item's cost is `ceil(tokens × pricePerMillionMicros / 1_000_000)`,
 * computed in bigint, once per line item (input, cached input, output, reasoning). Rounding
 * happens nowhere else: sums, holds, settlements, refunds and invoices only add and compare.
 */
export type Micros = bigint

export const MICROS_PER_UNIT = 1_000_000n
const TOKENS_PER_PRICE_UNIT = 1_000_000n

/**
 * The cost of one line item: tokens × price per million tokens, rounded **up** to the next
 * micro (a fraction of a micro is never given away, and never charged twice: one rounding per
 * line item).
 * @example costOfTokens({ tokens: 1234n, pricePerMillionMicros: 150_000n }) // 186n (185.1 → 186)
 */
export function costOfTokens(line: { tokens: bigint; pricePerMillionMicros: Micros }): Micros {
  if (line.tokens < 0n || line.pricePerMillionMicros < 0n)
    throw new RangeError('tokens and prices are never negative')
  return ceilDiv(line.tokens * line.pricePerMillionMicros, TOKENS_PER_PRICE_UNIT)
}

/** ⌈a / b⌉ for a ≥ 0, b > 0, in bigint. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n || a < 0n) throw new RangeError('ceilDiv needs a >= 0 and b > 0')
  return (a + b - 1n) / b
}

const MICROS_STRING = /^-?(0|[1-9][0-9]{0,24})$/

/** Parse a decimal string of micros (`"1500000"`, `"-20"`); throws RangeError otherwise. */
export function parseMicros(text: string): Micros {
  if (!MICROS_STRING.test(text)) throw new RangeError(`not an integer amount of micros: ${text}`)
  return BigInt(text)
}

/** Whether `text` is a decimal string of micros that `parseMicros` accepts. */
export function isMicrosString(text: string): boolean {
  return MICROS_STRING.test(text)
}

const DECIMAL_AMOUNT = /^(-?)(0|[1-9][0-9]{0,18})(?:\.([0-9]{1,6}))?$/

/**
 * Parse a decimal amount of the currency (`"12.50"`) exactly into micros. More than six
 * decimal places is an error, never a rounding.
 * @example parseDecimalAmount('12.5') // 12_500_000n
 */
export function parseDecimalAmount(text: string): Micros {
  const match = DECIMAL_AMOUNT.exec(text)
  if (!match) throw new RangeError(`not a decimal amount with at most 6 decimals: ${text}`)
  const [, sign, whole, fraction = ''] = match
  const micros = BigInt(whole!) * MICROS_PER_UNIT + BigInt(fraction.padEnd(6, '0'))
  return sign === '-' ? -micros : micros
}

/**
 * Micros as a decimal amount of the currency with all six places (`12500000n` → `"12.500000"`).
 * Exact: it is only a change of notation.
 */
export function formatDecimalAmount(micros: Micros): string {
  const negative = micros < 0n
  const abs = negative ? -micros : micros
  const whole = abs / MICROS_PER_UNIT
  const fraction = (abs % MICROS_PER_UNIT).toString().padStart(6, '0')
  return `${negative ? '-' : ''}${whole}.${fraction}`
}

/** The sum of amounts (0n for none). */
export function sumMicros(amounts: Iterable<Micros>): Micros {
  let total = 0n
  for (const amount of amounts) total += amount
  return total
}

export function minMicros(a: Micros, b: Micros): Micros {
  return a < b ? a : b
}

export function maxMicros(a: Micros, b: Micros): Micros {
  return a > b ? a : b
}
