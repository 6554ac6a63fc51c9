import { createManualClock, type ManualClock } from '../../../src/lib/clock.js'
import type { ProviderAccount, UpstreamContext } from '../../../src/providers/index.js'

/** An UpstreamContext for tests: a manual clock, its own AbortController, a fixed request ID. */
export function testContext(
  account: Partial<ProviderAccount> & Pick<ProviderAccount, 'kind' | 'baseUrl'>,
): {
  ctx: UpstreamContext
  abort: (reason?: unknown) => void
  clock: ManualClock
} {
  const controller = new AbortController()
  const clock = createManualClock(Date.UTC(2026, 0, 1))
  return {
    ctx: {
      account: {
        id: 'pa_test',
        label: 'test-account',
        credential: 'sk-test-secret-credential',
        ...account,
      },
      requestId: 'req_test_0001',
      signal: controller.signal,
      clock,
    },
    abort: (reason) => controller.abort(reason),
    clock,
  }
}

/** Read a whole async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
