import { runProviderContract } from '../../../tests/support/provider-contract.js'
import { anthropicRecordings } from '../../../tests/support/mock-upstreams/recordings.js'
import { replayTransport } from '../../../tests/support/mock-upstreams/replay-transport.js'
import { testContext } from '../../../tests/support/mock-upstreams/test-context.js'
import { MOCK_REPLY, replyPieces } from '../../../tests/support/mock-upstreams/openai-wire.js'
import { createAnthropicAdapter } from './anthropic-adapter.js'

const recordings = anthropicRecordings()

runProviderContract({
  name: 'anthropic',
  byteLevel: true,
  setup(scenario, splits) {
    const transport = replayTransport(recordings[scenario], { splits: [...splits] })
    return {
      adapter: createAnthropicAdapter({ transport }),
      ctx: testContext({ kind: 'anthropic', baseUrl: 'https://api.anthropic.com' }).ctx,
    }
  },
  expected: {
    text: MOCK_REPLY,
    // 21 uncached + 10 cache reads + 3 cache writes; output: 4 thinking tokens + the reply.
    usage: {
      promptTokens: 34,
      cachedTokens: 10,
      cacheWriteTokens: 3,
      completionTokens: 4 + replyPieces(MOCK_REPLY).length,
      reasoningTokens: 0,
    },
    toolCall: { name: 'get_weather', arguments: '{"city":"Zürich","unit":"°C"}' },
    // overloaded_error
    midStreamErrorStatus: 503,
  },
})
