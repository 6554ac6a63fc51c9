// `npm start`: build when dist/ is missing or older than src/, then run `ferry start`.
// Arguments after `npm start --` are passed to the CLI; `--no-start` only builds.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist', 'cli', 'ferry.js')

function newestMtimeMs(dir) {
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
if (!existsSync(entry) || newestMtimeMs(join(root, 'src')) > statSync(entry).mtimeMs) {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
if (buildOnly) process.exit(0)
// Forward stop signals so `npm start` drains gracefully like `ferry start` does.
const child = spawn(process.execPath, [entry, 'start', ...args], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
