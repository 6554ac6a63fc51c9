import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react'

/** The console's routes live under /console; the server answers index.html for each of them. */
export const BASE = '/console'

function currentPath(): string {
  const path = window.location.pathname
  return path.startsWith(BASE) ? path.slice(BASE.length) || '/' : '/'
}

const listeners = new Set<() => void>()

/** Go to a console path (`/orgs/org_…`), keeping the browser's history. */
export function navigate(path: string): void {
  window.history.pushState(null, '', BASE + path)
  for (const listener of listeners) listener()
}

/** The current console path and query; re-renders on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0)
  useEffect(() => {
    const update = () => setTick((t) => t + 1)
    listeners.add(update)
    window.addEventListener('popstate', update)
    return () => {
      listeners.delete(update)
      window.removeEventListener('popstate', update)
    }
  }, [])
  return { path: currentPath(), search: new URLSearchParams(window.location.search) }
}

/** An anchor that navigates inside the console without reloading it. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const { to, onClick, ...rest } = props
  return (
    <a
      {...rest}
      href={BASE + to}
      onClick={(event: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(event)
        if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.button !== 0) return
        event.preventDefault()
        navigate(to)
      }}
    />
  )
}
