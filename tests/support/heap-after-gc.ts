import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * The test process's used heap after a full garbage collection, in bytes, to compare a
 * baseline with what is left after a suite's load ("memory back to baseline"). Vitest does not
 * run with `--expose-gc`; V8 lets a running process turn it on and fetch `gc` from a new context.
 */
export async function heapUsedAfterGc(): Promise<number> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  // Two passes with a turn of the event loop between them: closed sockets and finished streams
  // release their buffers in callbacks that run after the first pass.
  gc()
  await new Promise((resolve) => setImmediate(resolve))
  gc()
  return process.memoryUsage().heapUsed
}
