/** A page of a keyset-paginated admin listing, in the admin API's camelCase. */
export interface ListPage<T> {
  object: 'list'
  data: T[]
  hasMore: boolean
  /** Pass as `after` for the next page; null on the last one. */
  nextCursor: string | null
}

/**
 * Turn the `limit + 1` rows a listing fetched into a page: the extra row only says whether more
 * exist, and the last row shown gives the cursor.
 * @example toListPage(await list({ limit: query.limit + 1 }), { limit: query.limit, cursorOf: (o) => o.organizationId })
 */
export function toListPage<T>(
  rows: readonly T[],
  options: { limit: number; cursorOf: (row: T) => string },
): ListPage<T> {
  const data = rows.slice(0, options.limit)
  const hasMore = rows.length > options.limit
  const last = data[data.length - 1]
  return {
    object: 'list',
    data,
    hasMore,
    nextCursor: hasMore && last ? options.cursorOf(last) : null,
  }
}
