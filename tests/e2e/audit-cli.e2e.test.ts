import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFerry } from '../support/ferry-process.js'

async function ferry(args: string[]) {
  const proc = runFerry(args)
  const { code } = await proc.exited
  return { code, stdout: proc.stdout.join(''), stderr: proc.stderr.join('') }
}

describe('ferry audit (CLI)', () => {
  it('exports a signed log, verifies it offline, and names the first bad sequence of a tampered copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-audit-cli-'))
    const data = ['--data-dir', join(dir, 'data')]
    expect((await ferry(['audit', 'verify', '--database', ...data])).code).toBe(0)
    expect((await ferry(['audit', 'verify', '--database', ...data])).code).toBe(0)
    expect((await ferry(['audit', 'checkpoint', ...data])).stdout).toMatch(/platform: sequence 2 /)
    const key = JSON.parse((await ferry(['audit', 'public-key', ...data])).stdout) as {
      public_key: string
    }

    const file = join(dir, 'audit.jsonl')
    expect((await ferry(['audit', 'export', '-o', file, ...data])).code).toBe(0)
    const verified = await ferry(['audit', 'verify', file, '--public-key', key.public_key])
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.stdout).toContain('audit log verified')

    const tampered = join(dir, 'tampered.jsonl')
    writeFileSync(
      tampered,
      readFileSync(file, 'utf8').replace(
        '"action":"audit_log.verify"',
        '"action":"audit_log.vErify"',
      ),
    )
    const failed = await ferry(['audit', 'verify', tampered, '--public-key', key.public_key])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/first bad sequence 1\b/)

    const foreign = await ferry([
      'audit',
      'verify',
      file,
      '--public-key',
      Buffer.alloc(32, 1).toString('base64'),
    ])
    expect(foreign.code).toBe(1)
    expect(foreign.stderr).toMatch(/unknown key/)
    // Eight CLI processes, each started under tsx: on a loaded 2-core machine that is slow.
  }, 90_000)

  it('writes a CSV export with a signed manifest beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-audit-cli-'))
    const data = ['--data-dir', join(dir, 'data')]
    await ferry(['audit', 'verify', '--database', ...data])
    const file = join(dir, 'audit.csv')
    expect((await ferry(['audit', 'export', '--format', 'csv', '-o', file, ...data])).code).toBe(0)
    const csv = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(csv[0]).toMatch(/^audit_event_id,chain_id,sequence,/)
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as {
      rows: number
      sha256: string
      signature: string
    }
    expect(manifest.rows).toBe(csv.length - 1)
    expect(manifest.signature).toMatch(/^[A-Za-z0-9+/]+=*$/)
  })
})
