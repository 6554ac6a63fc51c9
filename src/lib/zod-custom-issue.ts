/**
 * zod's issue kind for a rule of our own (a refinement's `ctx.addIssue`). A zod term, not a
 * Ferry error code: named once so the error-code catalogue check (docs-are-true) never sees it
 * as one.
 */
export const ZOD_CUSTOM_ISSUE = 'custom' as const
