import { startMockServer, type MockServerControls } from './mock-server.js'
import {
  answerOpenAI,
  sendJson,
  type OpenAIRoute,
  type OpenAIUpstreamOptions,
} from './openai-upstream.js'
import { sse } from './openai-wire.js'

export interface AzureUpstreamOptions extends OpenAIUpstreamOptions {
  /** Deployments that exist; others answer Azure's DeploymentNotFound. @default ['gpt-4o-mini-prod'] */
  deployments?: string[]
}

/**
 * A local Azure OpenAI resource: `/openai/deployments/{deployment}/…?api-version=…` with an
 * `api-key` header, `/openai/responses` and `/openai/models`. Chat streams start with Azure's
 * `prompt_filter_results` chunk (empty `choices`, empty `id`), as the real service sends.
 */
export async function startAzureUpstream(
  options: AzureUpstreamOptions = {},
): Promise<MockServerControls> {
  const deployments = new Set(options.deployments ?? ['gpt-4o-mini-prod'])
  const controls: MockServerControls = await startMockServer((req, res, recorded) => {
    const url = new URL(recorded.url, 'http://azure.local')
    if (options.apiKey !== undefined && req.headers['api-key'] !== options.apiKey) {
      return sendJson(res, 401, {
        error: {
          code: '401',
          message: 'Access denied due to invalid subscription key or wrong API endpoint.',
        },
      })
    }
    if (!url.searchParams.get('api-version')) {
      return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } })
    }
    const match =
      /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/.exec(
        url.pathname,
      )
    let route: OpenAIRoute = null
    if (match) {
      if (!deployments.has(decodeURIComponent(match[1]!))) {
        return sendJson(res, 404, {
          error: {
            code: 'DeploymentNotFound',
            message: 'The API deployment for this resource does not exist.',
          },
        })
      }
      route = match[2] === 'chat/completions' ? 'chat' : (match[2] as OpenAIRoute)
    } else if (url.pathname === '/openai/responses') route = 'responses'
    else if (url.pathname === '/openai/models') route = 'models'
    res.setHeader('apim-request-id', 'apim-mock-1')
    return answerOpenAI({
      route,
      recorded,
      res,
      controls,
      options,
      decorateChatStream: (events) => [AZURE_FILTER_CHUNK, ...events],
    })
  })
  return controls
}

const AZURE_FILTER_CHUNK = sse({
  choices: [],
  created: 0,
  id: '',
  model: '',
  object: '',
  prompt_filter_results: [
    { prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } },
  ],
})
