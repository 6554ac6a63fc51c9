import {
  runProviderContract,
  contractRequest,
  type ContractScenario,
} from '../../../tests/support/provider-contract.js'
import { testContext } from '../../../tests/support/mock-upstreams/test-context.js'
import { MOCK_REPLY } from '../../../tests/support/mock-upstreams/openai-wire.js'
import { countTextTokens, estimateChatPromptTokens } from '../count-tokens.js'
import { createMockAdapter } from './mock-adapter.js'
import type { MockSettings } from './mock-settings.js'

const SETTINGS: Partial<Record<ContractScenario, Partial<MockSettings>>> = {
  'stream-no-usage': { omitUsage: true },
  'stream-error': { failAfterChunks: 3 },
  'stream-malformed': { malformedAfterChunks: 3 },
  'status-429': { failStatus: 429 },
  'status-500': { failStatus: 500 },
  'status-overloaded': { failStatus: 503 },
  'status-404-model': { failStatus: 404 },
  'status-401': { failStatus: 401 },
  'connect-refused': { failTransport: 'refused' },
  'headers-timeout': { failTransport: 'timeout' },
}

const adapter = createMockAdapter()

runProviderContract({
  name: 'mock',
  byteLevel: false,
  unsupported: {
    'stream-truncated': 'the mock always finishes what it starts',
    'stream-reset': 'the mock has no connection to reset',
    'json-malformed': 'the mock builds its answers as objects',
    'status-400-context': 'the mock does not model context windows',
  },
  setup(scenario) {
    return {
      adapter,
      ctx: testContext({
        kind: 'mock',
        baseUrl: 'mock://',
        settings: { reply: MOCK_REPLY, ...SETTINGS[scenario] },
      }).ctx,
    }
  },
  expected: {
    text: MOCK_REPLY,
    usage: {
      promptTokens: estimateChatPromptTokens(contractRequest('stream', { stream: true })),
      cachedTokens: 0,
      cacheWriteTokens: 0,
      completionTokens: countTextTokens(MOCK_REPLY),
      reasoningTokens: 0,
    },
    toolCall: { name: 'get_weather', arguments: '{}' },
    midStreamErrorStatus: 502,
  },
})
