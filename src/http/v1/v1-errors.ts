/** The customer API's own refusals live with the lifecycle that raises them. */
export { EndpointNotAllowedError, ModelNotFoundError } from '../../gateway/index.js'
