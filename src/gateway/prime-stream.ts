/**
 * Read a stream's first item before anything reaches the client, so a failure there can still
 * fall back to another target. Returns an iterable that yields that item and then the rest;
 * a failure on the first read is thrown here (the attempt failed).
 */
export async function primeStream<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]()
  const first = await iterator.next()
  return {
    [Symbol.asyncIterator]: () => resume(first, iterator),
  }
}

async function* resume<T>(first: IteratorResult<T>, iterator: AsyncIterator<T>): AsyncGenerator<T> {
  let finished = first.done === true
  try {
    if (finished) return
    yield first.value
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) {
        finished = true
        return
      }
      yield next.value
    }
  } finally {
    // The consumer stopped early (client gone): let the source clean up.
    if (!finished) await iterator.return?.()
  }
}
