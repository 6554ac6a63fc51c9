import type { AuditContext } from '../../src/audit/index.js'

/** A CLI-style actor for tests that exercise the audit log directly. */
export function testAuditContext(overrides: Partial<AuditContext> = {}): AuditContext {
  return {
    actor: { type: 'cli', id: 'cli:test', role: 'owner' },
    ip: '127.0.0.1',
    userAgent: 'vitest',
    requestId: 'req_test',
    ...overrides,
  }
}

export const TEST_MASTER_KEY = Buffer.alloc(32, 7)
export const OTHER_MASTER_KEY = Buffer.alloc(32, 9)
