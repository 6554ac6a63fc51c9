import { createContext, useContext, useState, type ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, setCsrfToken } from './api/client'
import type { Me } from './api/models'
import { ErrorNote, Loading, TextField } from './components/ui'

const SessionContext = createContext<Me | null>(null)

/** The signed-in admin (role, permissions, support session). */
export function useMe(): Me {
  const me = useContext(SessionContext)
  if (!me) throw new Error('useMe outside a signed-in session')
  return me
}

/** Whether the current admin holds a permission: pages and buttons hide or go read-only. */
export function useCan(): (permission: string) => boolean {
  const me = useMe()
  const held: readonly string[] = me.permissions
  return (permission) => permission === 'authenticated' || held.includes(permission)
}

async function fetchMe(): Promise<Me | null> {
  try {
    const me = await api.get('/admin/v1/auth/me', {})
    setCsrfToken(me.csrfToken)
    return me
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null
    throw err
  }
}

/** Loads the session; shows the sign-in page when there is none. */
export function SessionGate(props: { children: ReactNode }) {
  const me = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 30_000 })
  if (me.isPending) return <Loading what="your session" />
  if (me.isError)
    return (
      <main className="signin">
        <ErrorNote error={me.error} />
      </main>
    )
  if (me.data === null) return <SignIn />
  return <SessionContext.Provider value={me.data}>{props.children}</SessionContext.Provider>
}

function SignIn() {
  const queryClient = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [totpCode, setTotpCode] = useState('')
  const [needsTotp, setNeedsTotp] = useState(false)
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async () => {
    setPending(true)
    setError(null)
    try {
      const login = await api.post('/admin/v1/auth/login', {
        body: { email, password, ...(needsTotp && totpCode ? { totpCode } : {}) },
      })
      setCsrfToken(login.csrfToken)
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'me' })
      queryClient.setQueryData(['me'], await fetchMe())
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') setNeedsTotp(true)
      setError(err)
    } finally {
      setPending(false)
    }
  }
  return (
    <main className="signin">
      <form
        className="panel"
        aria-labelledby="signin-title"
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <h1 id="signin-title">Sign in to Ferry</h1>
        <p className="muted">Use the email and password of your Ferry admin account.</p>
        <TextField
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {needsTotp ? (
          <TextField
            label="Authenticator code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            required
            value={totpCode}
            onChange={(e) => setTotpCode(e.target.value)}
          />
        ) : null}
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          No admin yet? Create the first owner with <code>ferry admin create --role owner</code>.
        </p>
      </form>
    </main>
  )
}
