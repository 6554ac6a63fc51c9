// `npm start`: build when dist/ (server or console) is missing or older than src/ or web/, then
// run `ferry start`.
// Arguments after `npm start --` are passed to the CLI; `--no-start` only builds.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist', 'cli', 'ferry.js')
const consoleIndex = join(root, 'dist', 'console', 'index.html')

function newestMtimeMs(path) {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs
  const dir = path
  let newest = 0
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name)
    const mtime = name.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs
    if (mtime > newest) newest = mtime
  }
  return newest
}

const args = process.argv.slice(2)
const buildOnly = args.includes('--no-start')
const stale = (built, sources) =>
  !existsSync(built) ||
  sources.some((dir) => existsSync(dir) && newestMtimeMs(dir) > statSync(built).mtimeMs)
if (
  stale(entry, [join(root, 'src')]) ||
  stale(consoleIndex, [join(root, 'web', 'src'), join(root, 'web', 'index.html')])
) {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
if (buildOnly) process.exit(0)
// The gateway's V8 flags (src/cli/gateway-node-flags.ts) can only be given at start-up.
const flagsModule = pathToFileURL(join(root, 'dist', 'cli', 'gateway-node-flags.js')).href
const { withGatewayNodeFlags } = await import(flagsModule)
const flags = withGatewayNodeFlags(process.execArgv)
// Forward stop signals so `npm start` drains gracefully like `ferry start` does.
const child = spawn(process.execPath, [...flags, entry, 'start', ...args], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
