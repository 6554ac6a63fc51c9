/**
 * A field's path as OpenAI names it in `param`: object keys joined by dots, array indices in
 * brackets, so a client reads `messages[0].role` exactly as OpenAI itself would answer it.
 * @example formatParamPath(['tools', 0, 'function', 'name']) // 'tools[0].function.name'
 */
export function formatParamPath(path: readonly PropertyKey[]): string {
  let param = ''
  for (const key of path) {
    if (typeof key === 'number') param += `[${key}]`
    else param += param === '' ? String(key) : `.${String(key)}`
  }
  return param
}
