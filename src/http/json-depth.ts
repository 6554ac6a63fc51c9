/**
 * The deepest nesting a JSON request body may have. Real requests nest a few levels (messages,
 * content parts, a tool's JSON schema: tens at most). A body nested thousands deep is a few
 * kilobytes, well under the size limit, yet every recursive walk of it — the prompt's token
 * count, the JSON.stringify that sends it upstream — overflows the stack: it is refused before it
 * is parsed.
 */
export const MAX_JSON_DEPTH = 128

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/**
 * Whether `text` (JSON, or what claims to be) opens more than `maxDepth` objects and arrays
 * inside each other. Brackets inside strings do not count. One pass; a string is skipped with
 * indexOf (the text of a long prompt is most of a body), so the check costs a fraction of the
 * parse. Malformed text gets an answer too; the parser refuses it after.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) i = closingQuote(text, i)
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}

/** The index of the quote that closes the string opened at `open` (the end if none does). */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1)
  while (at !== -1) {
    // A quote preceded by an odd run of backslashes is escaped: part of the string.
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return at
    at = text.indexOf('"', at + 1)
  }
  return text.length
}
