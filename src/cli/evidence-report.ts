import type { EvidenceDocument, LedgerEntryEvidence } from '../evidence/index.js'

type UsageView = Record<string, unknown>

const str = (value: unknown): string => {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  return JSON.stringify(value)
}
const signed = (micros: string) => (micros.startsWith('-') ? micros : `+${micros}`)

function usageLines(usage: UsageView): string[] {
  const lines = [
    `  ${str(usage.usageId)}  ${str(usage.createdAt)}  organization ${str(usage.organizationId)}`,
    `    key ${str(usage.keyLabel)} (${str(usage.environment)})  ${str(usage.endpoint)}${usage.stream ? ' (stream)' : ''}`,
    `    model requested ${str(usage.modelRequested)} → served ${str(usage.modelServed)} by ${str(usage.provider)} (route ${str(usage.route)})`,
    `    status ${str(usage.httpStatus)}, upstream ${str(usage.upstreamStatus)}, attempts ${str(usage.attempts)}, latency ${str(usage.latencyMs)} ms${usage.errorCode ? `, error ${str(usage.errorCode)}` : ''}`,
  ]
  if (usage.stream)
    lines.push(
      `    stream ${str(usage.streamOutcome)} after ${str(usage.chunksDelivered)} chunk(s)`,
    )
  lines.push(
    `    tokens: prompt ${str(usage.promptTokens)} (${str(usage.promptTokensSource)}), cached ${str(usage.cachedTokens)}, completion ${str(usage.completionTokens)} (${str(usage.completionTokensSource)}), reasoning ${str(usage.reasoningTokens)}`,
    `    budget ${str(usage.budgetDecision)}${usage.budgetReason ? ` (${str(usage.budgetReason)})` : ''}`,
  )
  if (usage.downgradeReason) lines.push(`    downgraded: ${str(usage.downgradeReason)}`)
  if (usage.fallbackReason) lines.push(`    fallback: ${str(usage.fallbackReason)}`)
  lines.push(
    `    cost ${str(usage.costMicros)} micros, held ${str(usage.heldMicros)}, refunded ${str(usage.refundedMicros)} (${str(usage.refundState)})`,
  )
  return lines
}

function entryLines(entry: LedgerEntryEvidence): string[] {
  const lines = [
    `  ${entry.entryId}  ${entry.createdAt}  ${entry.kind} ${signed(entry.amountMicros)} micros (balance after ${entry.balanceAfterMicros})`,
  ]
  const s = entry.settlement
  if (s)
    lines.push(
      `    hold ${str(s.holdId)}: held ${str(s.holdMicros)}, charged ${s.chargedMicros}, released ${str(s.releasedMicros)}${s.waivedMicros && s.waivedMicros !== '0' ? `, waived ${s.waivedMicros}` : ''}; outcome ${str(s.outcome)} by rule ${str(s.rule)}`,
    )
  if (entry.originalEntryId || entry.approvalId)
    lines.push(
      `    corrects ${str(entry.originalEntryId)}${entry.approvalId ? `, approval ${entry.approvalId}` : ''}`,
    )
  return lines
}

/**
 * The evidence document as a report for people: request & usage, money, routing & budget,
 * admin actions, chain proof. `--json` prints the document itself.
 */
export function formatEvidenceReport(document: EvidenceDocument): string {
  const out: string[] = [
    `Evidence for request ${document.requestId} (generated ${document.generatedAt})`,
    '',
    'Request & usage',
  ]
  if (document.usageEvents.length === 0) out.push('  no usage event recorded')
  for (const usage of document.usageEvents) out.push(...usageLines(usage))

  out.push('', 'Money')
  for (const entry of document.ledger.entries) out.push(...entryLines(entry))
  for (const hold of document.ledger.holds)
    out.push(`  stored hold ${hold.holdId}: ${hold.amountMicros} micros, ${hold.status}`)
  for (const approval of document.ledger.approvals)
    out.push(
      `  approval ${approval.approvalId}: ${approval.action} of ${approval.amountMicros} micros, requested by ${approval.requestedBy}, granted by ${str(approval.grantedBy)} (${approval.status})`,
    )
  const t = document.ledger.totals
  out.push(
    `  totals: charged ${t.chargedMicros}, waived ${t.waivedMicros}, refunded ${t.refundedMicros}, net ${t.netMicros} micros`,
  )

  out.push('', 'Routing & budget')
  for (const p of document.routePolicies)
    out.push(
      p.status === 'found'
        ? `  route policy version ${p.version} (${str(p.scope)} ${str(p.storedScope)}) ${str(p.contentHash)}, published by ${str(p.createdBy)} at ${str(p.createdAt)}`
        : `  route policy version ${p.version} (${str(p.scope)}): ${p.status}. ${str(p.note)}`,
    )
  for (const b of document.budgetPolicies)
    out.push(
      b.status === 'found'
        ? `  budget policy ${b.budgetPolicyId} version ${str(b.version)} (${str(b.organizationId)}${b.keyId ? `/${b.keyId}` : ''}) sha256 ${str(b.contentHash)}`
        : `  budget policy ${b.budgetPolicyId}: missing`,
    )
  for (const p of document.priceTables)
    out.push(
      `  price table ${p.scope}${p.organizationId ? ` ${p.organizationId}` : ''} version ${p.version}${p.status === 'found' ? ` sha256 ${str(p.contentHash)}` : ': missing'}`,
    )
  if (document.routePolicies.length + document.budgetPolicies.length === 0)
    out.push('  no route or budget policy recorded')

  out.push('', 'Admin actions')
  if (document.auditEvents.length === 0) out.push('  none')
  for (const { event, link, via } of document.auditEvents)
    out.push(
      `  ${event.created_at}  ${event.action} (${link}, via ${via}) by ${event.actor_id}${event.actor_role ? ` (${event.actor_role})` : ''}${event.reason_code ? `, reason ${event.reason_code}` : ''}${event.reason_note ? `: "${event.reason_note}"` : ''}`,
    )

  out.push('', 'Chain proof')
  if (document.auditEvents.length === 0) out.push('  no audit events to prove')
  for (const { event, proof } of document.auditEvents)
    out.push(
      `  ${event.audit_event_id}  chain ${proof.chainId} #${proof.sequence} hash ${proof.hash.slice(0, 16)}… (previous ${proof.previousHash.slice(0, 16)}…)`,
      proof.checkpoint
        ? `    checkpoint ${proof.checkpoint.checkpointId} at #${proof.checkpoint.sequence} head ${proof.checkpoint.hash.slice(0, 16)}…, signed by key ${proof.checkpoint.keyId}`
        : '    pending_checkpoint: no signed checkpoint covers it yet',
    )
  return out.join('\n')
}
