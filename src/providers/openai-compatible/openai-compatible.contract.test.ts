import { runProviderContract } from '../../../tests/support/provider-contract.js'
import { openAIRecordings } from '../../../tests/support/mock-upstreams/recordings.js'
import { replayTransport } from '../../../tests/support/mock-upstreams/replay-transport.js'
import { testContext } from '../../../tests/support/mock-upstreams/test-context.js'
import { MOCK_REPLY, replyPieces } from '../../../tests/support/mock-upstreams/openai-wire.js'
import { createOpenAICompatibleAdapter } from './openai-compatible-adapter.js'

const recordings = openAIRecordings()

runProviderContract({
  name: 'openai-compatible',
  byteLevel: true,
  setup(scenario, splits) {
    const transport = replayTransport(recordings[scenario], { splits: [...splits] })
    return {
      adapter: createOpenAICompatibleAdapter({ transport }),
      ctx: testContext({ kind: 'openai-compatible', baseUrl: 'http://vllm.local/v1' }).ctx,
    }
  },
  expected: {
    text: MOCK_REPLY,
    usage: {
      promptTokens: 17,
      cachedTokens: 5,
      cacheWriteTokens: 0,
      completionTokens: replyPieces(MOCK_REPLY).length,
      reasoningTokens: 0,
    },
    toolCall: { name: 'get_weather', arguments: '{"city":"Zürich","unit":"°C"}' },
    midStreamErrorStatus: 502,
  },
})
