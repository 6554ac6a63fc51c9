import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CONSOLE_API_FILE, renderConsoleApi } from '../../../scripts/generate-console-api.js'

describe('the console API client types', () => {
  it('match the route catalogue (run `npm run generate:console-api` after changing a route)', async () => {
    expect(readFileSync(CONSOLE_API_FILE, 'utf8')).toBe(await renderConsoleApi())
  })
})
