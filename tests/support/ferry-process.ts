import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = fileURLToPath(new URL('../../src/cli/ferry.ts', import.meta.url))
// An absolute loader URL: the child may run in a temporary folder with no node_modules.
const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href

export interface FerryProcess {
  readonly child: ChildProcess
  readonly stdout: string[]
  readonly stderr: string[]
  /** Resolves with the exit code (or null and the signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Run the real CLI (`ferry …`) from source in a child process, collecting its output. */
export function runFerry(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): FerryProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  if (options.stdin !== undefined) child.stdin?.end(options.stdin)
  const stdout: string[] = []
  const stderr: string[] = []
  child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d))
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }))
  return { child, stdout, stderr, exited }
}

/** Start `ferry start` and wait for its "ferry listening" log line; returns its base URL. */
export async function startFerry(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<FerryProcess & { url: string }> {
  const proc = runFerry(['start', '--port', '0', ...args], options)
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  for (;;) {
    const line = proc.stdout
      .join('')
      .split('\n')
      .find((l) => l.includes('"ferry listening"'))
    if (line) return { ...proc, url: (JSON.parse(line) as { url: string }).url }
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      proc.child.kill('SIGKILL')
      throw new Error(`ferry did not start:\n${proc.stdout.join('')}\n${proc.stderr.join('')}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The parent's environment without FERRY_* settings, so a developer's shell cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERRY_')))
}
