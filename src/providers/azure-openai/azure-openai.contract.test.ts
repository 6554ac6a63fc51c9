import { runProviderContract } from '../../../tests/support/provider-contract.js'
import { azureRecordings } from '../../../tests/support/mock-upstreams/recordings.js'
import { replayTransport } from '../../../tests/support/mock-upstreams/replay-transport.js'
import { testContext } from '../../../tests/support/mock-upstreams/test-context.js'
import { MOCK_REPLY, replyPieces } from '../../../tests/support/mock-upstreams/openai-wire.js'
import { createAzureOpenAIAdapter } from './azure-openai-adapter.js'

const recordings = azureRecordings()

runProviderContract({
  name: 'azure-openai',
  byteLevel: true,
  setup(scenario, splits) {
    const transport = replayTransport(recordings[scenario], { splits: [...splits] })
    return {
      adapter: createAzureOpenAIAdapter({ transport }),
      ctx: testContext({ kind: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com' }).ctx,
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
