import { defineConfig } from 'vitest/config'

/**
 * Five projects (STYLE §3.7): unit tests beside the code, integration suites run once per
 * dialect, end-to-end tests on a real port, the hardening suites (issue 11) and the console in a
 * real Chromium. `npm test` runs
 * all five. The global setup probes
 * PostgreSQL and Redis and says in one clear line when their suites are skipped.
 */
export default defineConfig({
  test: {
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['tests/integration/**/*.int.test.ts'] },
      },
      // End-to-end tests spawn several `ferry` processes through tsx (a few seconds each on these
      // 2-core machines, more when the other suites run beside them), so they get the headroom.
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.e2e.test.ts'], testTimeout: 90_000 },
      },
      // Issue 11: hostile input, broken upstreams, crashes and secret leaks (docs/reliability.md).
      {
        extends: true,
        test: { name: 'hardening', include: ['tests/hardening/**/*.hardening.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.browser.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
})
