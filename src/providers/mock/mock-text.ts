import { countTextTokens } from '../count-tokens.js'

/**
 * Words that are one o200k token each, alone and after a space, so a reply of N generated words
 * is exactly N tokens (unit-tested) and the mock's usage is exact without tokenising.
 */
const WORDS = (
  'the river at with water and bright light over where people wait for boats to carry them ' +
  'home while call above quiet town under stars on soft wind that moves through old trees near ' +
  'stone bridge'
).split(' ')

/** FNV-1a over the text: the same prompt always gives the same reply. */
export function promptSeed(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/** The reply's pieces: one per token, the first without a leading space. */
export function mockReplyTokens(options: {
  seed: number
  tokens: number
  reply?: string
}): string[] {
  if (options.reply !== undefined) return options.reply === '' ? [] : options.reply.split(/(?= )/u)
  const out: string[] = []
  let state = options.seed || 1
  for (let i = 0; i < options.tokens; i++) {
    // xorshift32: cheap, deterministic, spread enough to read like varied text.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const word = WORDS[(state >>> 0) % WORDS.length] ?? 'the'
    out.push(i === 0 ? word : ` ${word}`)
  }
  return out
}

/** Token count of a reply built by mockReplyTokens. */
export function mockReplyTokenCount(pieces: readonly string[], fixedReply: boolean): number {
  return fixedReply ? countTextTokens(pieces.join('')) : pieces.length
}

/** Cut pieces into `count` chunks of text, as evenly as possible. */
export function chunkText(pieces: readonly string[], count: number): string[] {
  if (pieces.length === 0) return []
  const chunks = Math.min(Math.max(1, count), pieces.length)
  const out: string[] = []
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * pieces.length) / chunks)
    const to = Math.floor(((c + 1) * pieces.length) / chunks)
    out.push(pieces.slice(from, to).join(''))
  }
  return out
}
