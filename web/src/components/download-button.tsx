import { useState } from 'react'
import { ApiError } from '../api/client'
import { ErrorNote } from './ui'

function sizeOf(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`
}

/** The file name the server gives (`content-disposition`), else the fallback. */
function filenameOf(response: Response, fallback: string): string {
  const header = response.headers.get('content-disposition') ?? ''
  return /filename="?([^";]+)"?/.exec(header)?.[1] ?? fallback
}

/**
 * An export as a button: it fetches the file itself so it can show progress (bytes received)
 * while a long export streams, and the server's own message when it refuses, then saves it.
 */
export function DownloadButton(props: { href: string; label: string; filename: string }) {
  const [received, setReceived] = useState<number | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const run = async () => {
    setError(null)
    setDone(null)
    setReceived(0)
    try {
      const response = await fetch(props.href, { credentials: 'same-origin' })
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as {
          error?: { message?: string; code?: string; param?: string }
        }
        throw new ApiError({
          status: response.status,
          message: body.error?.message ?? `The server answered ${response.status}.`,
          code: body.error?.code ?? null,
          param: body.error?.param ?? null,
        })
      }
      const chunks: Uint8Array[] = []
      let total = 0
      const reader = response.body!.getReader()
      for (;;) {
        const { done: finished, value } = await reader.read()
        if (finished) break
        chunks.push(value)
        total += value.byteLength
        setReceived(total)
      }
      const name = filenameOf(response, props.filename)
      const url = URL.createObjectURL(
        new Blob(chunks as BlobPart[], {
          type: response.headers.get('content-type') ?? 'application/octet-stream',
        }),
      )
      const link = document.createElement('a')
      link.href = url
      link.download = name
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setDone(`Saved ${name} (${sizeOf(total)}).`)
    } catch (err) {
      setError(err)
    } finally {
      setReceived(null)
    }
  }
  const pending = received !== null
  return (
    <span className="download">
      <button
        type="button"
        className="secondary"
        disabled={pending}
        aria-busy={pending}
        onClick={() => void run()}
      >
        {pending ? `Exporting… ${sizeOf(received)}` : props.label}
      </button>
      <span role="status" className="muted">
        {done}
      </span>
      <ErrorNote error={error} />
    </span>
  )
}
