/** Header names Ferry reads or writes, with literal keys (STYLE §3.9.3). */
export const FERRY_HEADERS = {
  requestId: 'x-request-id',
  processingMs: 'openai-processing-ms',
  servedModel: 'x-ferry-model-served',
  routePolicyVersion: 'x-ferry-route-policy-version',
  shouldRetry: 'x-should-retry',
} as const
