#!/usr/bin/env node
// Summarizes a V8 CPU profile (`node --cpu-prof`, one file per thread) as the share of samples
// each function or file takes, so two profiles can be compared as text:
//
//   node bench/cpuprofile-summary.mjs CPU.…cpuprofile [--by function|file|inclusive]
//     [--callers NAME] [--top 40] [--skip-seconds 3]
//
//   --by function   self time per function (default)
//   --by file       self time per file; a dependency counts as its package (`nm:undici`)
//   --by inclusive  time per function with everything it called (each frame once per sample)
//   --callers NAME  the call chains (six frames up) that lead to function NAME, by its time
//   --skip-seconds  leave out the start (start-up, warm-up) of the profile
//
// Shares are of all samples, `(idle)` included: a thread waiting on the event loop shows idle.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    by: { type: 'string', default: 'function' },
    callers: { type: 'string' },
    top: { type: 'string', default: '40' },
    'skip-seconds': { type: 'string', default: '3' },
  },
})
if (positionals.length !== 1) {
  process.stderr.write('usage: cpuprofile-summary.mjs PROFILE [--by function|file|inclusive]\n')
  process.exit(2)
}

const profile = JSON.parse(readFileSync(positionals[0], 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const parentOf = new Map()
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id)

// Samples per node, after the skipped start.
const samples = new Map()
const skipUntil = profile.startTime + Number(values['skip-seconds']) * 1e6
let time = profile.startTime
for (let i = 0; i < profile.samples.length; i++) {
  time += profile.timeDeltas[i]
  if (time >= skipUntil) samples.set(profile.samples[i], (samples.get(profile.samples[i]) ?? 0) + 1)
}
const total = [...samples.values()].reduce((a, b) => a + b, 0)

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'nm:')
    .replace(/.*\/(dist|src)\//, '$1/')
const frameName = ({ callFrame: f }) =>
  `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`
const fileName = ({ callFrame: f }) =>
  f.url === ''
    ? f.functionName.startsWith('(')
      ? f.functionName
      : `(${f.functionName || 'native'})`
    : shortUrl(f.url).replace(/^nm:((@[^/]+\/)?[^/]+).*/, 'nm:$1')
const ancestors = function* (id) {
  for (let at = id; at !== undefined; at = parentOf.get(at)) yield nodes.get(at)
}

const shares = new Map()
const add = (key, count) => shares.set(key, (shares.get(key) ?? 0) + count)
if (values.callers !== undefined) {
  for (const [id, count] of samples) {
    const chain = [...ancestors(id)]
    const at = chain.findLastIndex((node) => node.callFrame.functionName === values.callers)
    if (at === -1) continue
    add(
      chain
        .slice(at + 1, at + 7)
        .map(frameName)
        .join(' < '),
      count,
    )
  }
} else {
  for (const [id, count] of samples) {
    if (values.by === 'inclusive') {
      for (const name of new Set([...ancestors(id)].map(frameName))) add(name, count)
    } else add((values.by === 'file' ? fileName : frameName)(nodes.get(id)), count)
  }
}

process.stdout.write(`${total} samples\n`)
for (const [key, count] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  process.stdout.write(`${((100 * count) / total).toFixed(2).padStart(6)} %  ${key}\n`)
}
