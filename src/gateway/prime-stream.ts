/**
 * Read a stream's first item before anything reaches the client, so a failure there can still
 * fall back to another target. Returns an iterable that yields that item and then the rest;
 * a failure on the first read is thrown here (the attempt failed).
 *
 * The iterator hands out the source's own promises after the first item (no generator in
 * between): every layer between the upstream reader and the socket costs a promise and a
 * microtask per chunk.
 */
export async function primeStream<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]()
  const first = await iterator.next()
  let pending: IteratorResult<T> | null = first
  let finished = first.done === true
  const resumed: AsyncIterator<T> = {
    next: () => {
      if (pending !== null) {
        const result = pending
        pending = null
        return Promise.resolve(result)
      }
      if (finished) return Promise.resolve({ done: true, value: undefined })
      return iterator.next()
    },
    // The consumer stopped early (client gone): let the source clean up (returning from a
    // source that already ended does nothing).
    return: async () => {
      pending = null
      if (!finished) {
        finished = true
        await iterator.return?.()
      }
      return { done: true, value: undefined }
    },
  }
  return { [Symbol.asyncIterator]: () => resumed }
}
