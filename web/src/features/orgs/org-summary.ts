import type { Balance, BudgetPolicyVersion } from '../../api/models'

/** Where an organization stands against its budget policy, from its balance and spend. */
export function budgetState(options: {
  policy: BudgetPolicyVersion | null
  balance: Balance | undefined
  monthSpendMicros: string | undefined
}): { label: string; tone: 'ok' | 'warn' | 'bad' | 'none' } {
  const { policy, balance, monthSpendMicros } = options
  if (!policy) return { label: 'no budget policy', tone: 'none' }
  const p = policy.policy
  const spend = BigInt(monthSpendMicros ?? '0')
  if (p.hardCapMicros !== null && spend >= BigInt(p.hardCapMicros))
    return { label: 'hard cap reached', tone: 'bad' }
  if (p.monthlySpendCapMicros !== null && spend >= BigInt(p.monthlySpendCapMicros))
    return { label: `spend cap reached (${p.overage})`, tone: 'bad' }
  const live = balance?.accounts.find((a) => a.environment === 'live')
  const available = live ? BigInt(live.availableMicros) : 0n
  const t = p.thresholds
  if (t.blockBelowMicros !== null && available < BigInt(t.blockBelowMicros))
    return { label: 'below block threshold', tone: 'bad' }
  if (t.downgradeBelowMicros !== null && available < BigInt(t.downgradeBelowMicros))
    return { label: 'below downgrade threshold', tone: 'warn' }
  if (t.warnBelowMicros !== null && available < BigInt(t.warnBelowMicros))
    return { label: 'below warn threshold', tone: 'warn' }
  return { label: `within budget (v${policy.version})`, tone: 'ok' }
}
