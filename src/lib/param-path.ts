/** Longest object key repeated in a `param`: a key is client input, and may be huge. */
export const PARAM_KEY_MAX_CHARS = 64

/**
 * A field's path as OpenAI names it in `param`: object keys joined by dots, array indices in
 * brackets, so a client reads `messages[0].role` exactly as OpenAI itself would answer it. A key
 * longer than PARAM_KEY_MAX_CHARS is cut there and marked with `…` (the error names the field
 * without echoing a megabyte of it).
 * @example formatParamPath(['tools', 0, 'function', 'name']) // 'tools[0].function.name'
 */
export function formatParamPath(path: readonly PropertyKey[]): string {
  let param = ''
  for (const key of path) {
    if (typeof key === 'number') {
      param += `[${key}]`
      continue
    }
    let name = String(key)
    if (name.length > PARAM_KEY_MAX_CHARS) name = `${name.slice(0, PARAM_KEY_MAX_CHARS)}…`
    param += param === '' ? name : `.${name}`
  }
  return param
}
