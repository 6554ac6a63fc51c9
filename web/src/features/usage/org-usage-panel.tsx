import { Panel } from '../../components/ui'
import { formatCount, formatMicros } from '../../format'
import { Link } from '../../router'
import { useMonthSpend } from '../orgs/org-queries'

export function OrgUsagePanel(props: { organizationId: string }) {
  const spend = useMonthSpend(props.organizationId)
  return (
    <Panel title="Usage this month">
      {spend.data ? (
        <p>
          {formatCount(spend.data.requests)} requests · {formatCount(spend.data.promptTokens)}{' '}
          prompt and {formatCount(spend.data.completionTokens)} completion tokens · spend{' '}
          {formatMicros(spend.data.costMicros)}
        </p>
      ) : null}
      <Link to={`/usage?organizationId=${props.organizationId}`}>
        Charts, requests and CSV export →
      </Link>
    </Panel>
  )
}
