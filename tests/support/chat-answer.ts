/**
 * A `/v1/chat/completions` answer as a client sees it, JSON or SSE, read to its end: what was
 * delivered, whether it completed, and the error (a status or an in-stream error frame).
 */
export interface ChatAnswer {
  status: number
  requestId: string | null
  modelServed: string | null
  retryAfter: string | null
  contentType: string | null
  /** The assistant text delivered (the message, or the stream's deltas joined). */
  content: string
  /** A whole `chat.completion`, or a stream through `data: [DONE]` with no error frame. */
  complete: boolean
  /** The stream ended with `data: [DONE]` (also after an error frame, as OpenAI does). */
  done: boolean
  /** Content chunks received before the end (streams). */
  chunks: number
  /** The error envelope's body: the JSON answer's, or the stream's error frame. */
  error: { message: string; type: string; param: string | null; code: string | null } | null
  /** Where the error came: as the answer (`status`) or inside a 200 stream (`stream`). */
  errorAt: 'status' | 'stream' | null
  /** The raw error body (for the OpenAI-shape assertion). */
  errorBody: unknown
}

export async function readChatAnswer(response: Response, stream: boolean): Promise<ChatAnswer> {
  const text = await response.text()
  const base = {
    status: response.status,
    requestId: response.headers.get('x-request-id'),
    modelServed: response.headers.get('x-ferry-model-served'),
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type'),
  }
  if (response.status !== 200 || !stream) {
    const body = parseOrNull(text) as {
      object?: string
      error?: ChatAnswer['error']
      choices?: { message?: { content?: string | null } }[]
    } | null
    const error = body?.error ?? null
    return {
      ...base,
      content: body?.choices?.[0]?.message?.content ?? '',
      complete: response.status === 200 && body?.object === 'chat.completion',
      done: false,
      chunks: 0,
      error,
      errorAt: error === null ? null : 'status',
      errorBody: error === null ? null : body,
    }
  }
  let content = ''
  let chunks = 0
  let done = false
  let errorBody: unknown = null
  for (const frame of text.split('\n\n')) {
    const data = frame
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n')
    if (data === '') continue
    if (data === '[DONE]') {
      done = true
      continue
    }
    const parsed = parseOrNull(data) as {
      error?: unknown
      choices?: { delta?: { content?: string } }[]
    } | null
    if (parsed?.error !== undefined) {
      errorBody = parsed
      continue
    }
    const piece = parsed?.choices?.[0]?.delta?.content
    if (typeof piece === 'string' && piece !== '') {
      content += piece
      chunks++
    }
  }
  const error = (errorBody as { error?: ChatAnswer['error'] } | null)?.error ?? null
  return {
    ...base,
    content,
    complete: done && error === null,
    done,
    chunks,
    error,
    errorAt: error === null ? null : 'stream',
    errorBody,
  }
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}
