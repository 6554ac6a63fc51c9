import { describe, expect, it } from 'vitest'
import { GATEWAY_NODE_FLAGS, withGatewayNodeFlags } from './gateway-node-flags.js'

describe('withGatewayNodeFlags', () => {
  it('adds the gateway flags after the ones the process was started with', () => {
    expect(withGatewayNodeFlags(['--enable-source-maps'], undefined)).toEqual([
      '--enable-source-maps',
      ...GATEWAY_NODE_FLAGS,
    ])
  })

  it('leaves a flag the operator gave on the command line or in NODE_OPTIONS to them', () => {
    expect(withGatewayNodeFlags(['--max-semi-space-size=8'], undefined)).toEqual([
      '--max-semi-space-size=8',
    ])
    expect(withGatewayNodeFlags([], '--inspect  --max_semi_space_size=128')).toEqual([])
  })
})
