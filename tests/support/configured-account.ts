import type { ConfiguredAccountInput } from '../../src/provider-accounts/index.js'

/**
 * A provider account as the config file would give it, active, with nothing set beyond what a
 * test names: no aliases, extra headers, timeouts or settings unless given.
 */
export function configuredAccount(
  account: Pick<ConfiguredAccountInput, 'name' | 'kind' | 'baseUrl'> &
    Partial<ConfiguredAccountInput>,
): ConfiguredAccountInput {
  return {
    credential: null,
    credentialEnv: null,
    origin: 'file',
    models: [],
    aliases: {},
    extraHeaders: {},
    timeouts: {},
    settings: {},
    status: 'active',
    ...account,
  }
}
