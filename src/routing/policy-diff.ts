/** One difference between two policy versions, at a dotted path (`routes.gpt-4o.targets`). */
export interface PolicyChange {
  path: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
}

/**
 * A structural diff of two JSON values: objects are compared key by key (sorted), arrays and
 * scalars as a whole (a reordered target list is one change: order is meaning in a route).
 */
export function diffPolicies(before: unknown, after: unknown, path = ''): PolicyChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((key) => {
      const at = path === '' ? key : `${path}.${key}`
      if (!Object.hasOwn(after, key)) return [{ path: at, kind: 'removed', before: before[key] }]
      if (!Object.hasOwn(before, key)) return [{ path: at, kind: 'added', after: after[key] }]
      return diffPolicies(before[key], after[key], at)
    })
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return []
  return [{ path: path === '' ? '.' : path, kind: 'changed', before, after }]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
