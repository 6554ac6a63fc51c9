import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AUDIT_ACTIONS, isHighRisk, type AuditAction } from '../../src/audit/index.js'
import { ENV_SETTINGS } from '../../src/config/env-settings.js'

const ROOT = new URL('../..', import.meta.url).pathname
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

describe('documentation stays true', () => {
  it('lists every FERRY_* setting in the README and docs/configuration.md', () => {
    for (const setting of ENV_SETTINGS) {
      expect(read('README.md'), setting.env).toContain(setting.env)
      expect(read('docs/configuration.md'), setting.env).toContain(setting.env)
    }
  })

  it('lists every audit action, with its risk, in docs/audit-log.md', () => {
    const doc = read('docs/audit-log.md')
    for (const action of Object.keys(AUDIT_ACTIONS) as AuditAction[]) {
      const listed = isHighRisk(action) ? `\`${action}\` (high)` : `\`${action}\``
      expect(doc, action).toContain(listed)
    }
  })

  it('catalogues every error code the source can send in docs/errors.md', () => {
    const catalogue = read('docs/errors.md')
    const codes = new Set<string>()
    for (const file of sourceFiles('src')) {
      for (const match of read(file).matchAll(/\bcode: '([a-z0-9_]+)'/g)) codes.add(match[1]!)
    }
    expect(codes.size).toBeGreaterThan(5)
    for (const code of codes)
      expect(catalogue, `docs/errors.md lacks ${code}`).toContain(`\`${code}\``)
  })
})
