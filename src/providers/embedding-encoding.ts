import type { Embedding } from './openai-types.js'

/**
 * Embeddings in the encoding the client asked for. The official SDK asks for base64 by default
 * and decodes it as little-endian float32; an upstream that ignores `encoding_format` and sends
 * floats would silently corrupt every vector, so Ferry converts both ways.
 */
export function encodeEmbedding(
  embedding: number[] | string,
  format: 'float' | 'base64',
): number[] | string {
  if (format === 'base64')
    return typeof embedding === 'string' ? embedding : floatsToBase64(embedding)
  return typeof embedding === 'string' ? base64ToFloats(embedding) : embedding
}

/** Little-endian float32 bytes, base64-encoded (what OpenAI returns for `base64`). */
export function floatsToBase64(values: readonly number[]): string {
  const buffer = Buffer.allocUnsafe(values.length * 4)
  for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i] ?? 0, i * 4)
  return buffer.toString('base64')
}

/** The inverse of floatsToBase64. */
export function base64ToFloats(encoded: string): number[] {
  const buffer = Buffer.from(encoded, 'base64')
  const values = new Array<number>(Math.floor(buffer.length / 4))
  for (let i = 0; i < values.length; i++) values[i] = buffer.readFloatLE(i * 4)
  return values
}

/** The requested format; anything but `base64` means floats (OpenAI's default). */
export function requestedEncoding(format: unknown): 'float' | 'base64' {
  return format === 'base64' ? 'base64' : 'float'
}

/** Rewrite each item's vector in the requested format, keeping every other field. */
export function withEncoding(data: Embedding[], format: 'float' | 'base64'): Embedding[] {
  return data.map((item) => ({ ...item, embedding: encodeEmbedding(item.embedding, format) }))
}
