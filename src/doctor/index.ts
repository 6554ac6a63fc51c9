export { gatherDeploymentFacts, type DeploymentFacts } from './deployment-facts.js'
export { diagnose } from './doctor-rules.js'
export {
  hasHighRisk,
  sortFindings,
  SEVERITIES,
  type Finding,
  type Severity,
} from './doctor-finding.js'
