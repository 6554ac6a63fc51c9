import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query'
import { Suspense, lazy, useEffect, type ReactNode } from 'react'
import { api, ApiError, setCsrfToken, setUnauthenticatedHandler } from './api/client'
import { Link, useLocation } from './router'
import { SessionGate, useCan, useMe } from './session'
import { formatTime } from './format'
import { Empty, Loading } from './components/ui'

// Each page is its own chunk, loaded when first opened: sign-in needs none of them.
const OrgsPage = lazy(() =>
  import('./features/orgs/orgs-page').then((m) => ({ default: m.OrgsPage })),
)
const OrgDetailPage = lazy(() =>
  import('./features/orgs/org-detail-page').then((m) => ({ default: m.OrgDetailPage })),
)
const AuditPage = lazy(() =>
  import('./features/audit/audit-page').then((m) => ({ default: m.AuditPage })),
)
const EvidencePage = lazy(() =>
  import('./features/evidence/evidence-page').then((m) => ({ default: m.EvidencePage })),
)
const UsagePage = lazy(() =>
  import('./features/usage/usage-page').then((m) => ({ default: m.UsagePage })),
)
const RoutingPage = lazy(() =>
  import('./features/routing/routing-page').then((m) => ({ default: m.RoutingPage })),
)
const SupportPage = lazy(() =>
  import('./features/support/support-page').then((m) => ({ default: m.SupportPage })),
)
const ApprovalsPage = lazy(() =>
  import('./features/billing/approvals-page').then((m) => ({ default: m.ApprovalsPage })),
)
const KeyPage = lazy(() => import('./features/keys/key-page').then((m) => ({ default: m.KeyPage })))

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
})

/** Pages of the navigation, each with the permission that shows it. */
const NAV: readonly { to: string; label: string; permission: string }[] = [
  { to: '/orgs', label: 'Organizations', permission: 'orgs.read' },
  { to: '/routing', label: 'Routing', permission: 'routing.read' },
  { to: '/usage', label: 'Usage', permission: 'usage.read' },
  { to: '/approvals', label: 'Approvals', permission: 'billing.read' },
  { to: '/audit', label: 'Audit log', permission: 'audit.read' },
  { to: '/evidence', label: 'Evidence', permission: 'billing.read' },
  { to: '/support', label: 'Support sessions', permission: 'authenticated' },
]

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <UnauthenticatedReset />
      <SessionGate>
        <Shell />
      </SessionGate>
    </QueryClientProvider>
  )
}

/** A 401 anywhere (the session expired) brings back the sign-in page. */
function UnauthenticatedReset() {
  const client = useQueryClient()
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null)
      client.setQueryData(['me'], null)
    })
    return () => setUnauthenticatedHandler(null)
  }, [client])
  return null
}

function Shell() {
  const me = useMe()
  const can = useCan()
  const client = useQueryClient()
  const { path } = useLocation()
  const signOut = async () => {
    await api.post('/admin/v1/auth/logout', { body: {} }).catch(() => undefined)
    setCsrfToken(null)
    client.clear()
    client.setQueryData(['me'], null)
  }
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Ferry console</span>
        <span className="whoami">
          {me.admin.email} · role <strong data-testid="role">{me.role}</strong>
        </span>
        <button type="button" className="ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {me.supportSession ? <SupportBanner /> : null}
      <div className="layout">
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => can(item.permission)).map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={path.startsWith(item.to) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading what="the page" />}>
            <Routes path={path} />
          </Suspense>
        </main>
      </div>
    </div>
  )
}

function SupportBanner() {
  const me = useMe()
  const session = me.supportSession!
  return (
    <div className="banner" role="status" aria-live="polite">
      Support session active on{' '}
      <Link to={`/orgs/${session.organizationId}`}>{session.organizationId}</Link> until{' '}
      {formatTime(session.expiresAt)}: every action you take is attributed to it.{' '}
      <Link to="/support">Manage or end it</Link>
    </div>
  )
}

function Guard(props: { permission: string; children: ReactNode }) {
  const can = useCan()
  if (!can(props.permission))
    return (
      <Empty>
        Your role does not include <code>{props.permission}</code>. Ask an owner for a grant.
      </Empty>
    )
  return <>{props.children}</>
}

function Routes(props: { path: string }) {
  const can = useCan()
  const segments = props.path.split('/').filter(Boolean)
  const [first, second] = segments
  switch (first) {
    case undefined: {
      const home = NAV.find((item) => can(item.permission))
      return home ? <Redirect to={home.to} /> : <Empty>Your role shows no pages.</Empty>
    }
    case 'orgs':
      return (
        <Guard permission="orgs.read">
          {second ? <OrgDetailPage organizationId={second} /> : <OrgsPage />}
        </Guard>
      )
    case 'keys':
      return <Guard permission="keys.read">{second ? <KeyPage keyId={second} /> : null}</Guard>
    case 'routing':
      return (
        <Guard permission="routing.read">
          <RoutingPage />
        </Guard>
      )
    case 'usage':
      return (
        <Guard permission="usage.read">
          <UsagePage />
        </Guard>
      )
    case 'approvals':
      return (
        <Guard permission="billing.read">
          <ApprovalsPage />
        </Guard>
      )
    case 'audit':
      return (
        <Guard permission="audit.read">
          <AuditPage />
        </Guard>
      )
    case 'evidence':
      return (
        <Guard permission="billing.read">
          <EvidencePage requestId={second ? decodeURIComponent(second) : undefined} />
        </Guard>
      )
    case 'support':
      return <SupportPage />
    default:
      return <Empty>No such page. Pick one from the navigation.</Empty>
  }
}

function Redirect(props: { to: string }) {
  useEffect(() => {
    window.history.replaceState(null, '', `/console${props.to}`)
    window.dispatchEvent(new PopStateEvent('popstate'))
  }, [props.to])
  return null
}
