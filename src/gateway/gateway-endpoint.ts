import type { KeyEndpoint } from '../keys/index.js'

/** The customer endpoints that call an upstream (a subset of the key scope names). */
export const GATEWAY_ENDPOINTS = [
  'chat.completions',
  'completions',
  'embeddings',
  'responses',
] as const
export type GatewayEndpoint = (typeof GATEWAY_ENDPOINTS)[number] & KeyEndpoint

/** The public path of an endpoint, for messages. */
export function pathOfEndpoint(endpoint: GatewayEndpoint): string {
  switch (endpoint) {
    case 'chat.completions':
      return '/v1/chat/completions'
    case 'completions':
      return '/v1/completions'
    case 'embeddings':
      return '/v1/embeddings'
    case 'responses':
      return '/v1/responses'
  }
}
