import type { Db } from '../../src/storage/index.js'

/**
 * The load-then-SIGKILL loop of the crash suites (tests/e2e/crash-usage, tests/e2e/scale-out,
 * tests/hardening/crashes): workers send chat completions until the victim is killed, and every
 * request that got a complete response is remembered, so the test can check that none of them
 * lost its usage event or its charge.
 */

/** One chat completion as the client saw it. */
export interface ChatOutcome {
  status: number
  /** `error.code` of a non-200 answer. */
  code: string | null
  requestId: string | null
  /** A whole `chat.completion`, or a stream through `data: [DONE]`. */
  complete: boolean
}

export async function chatOnce(
  url: string,
  secret: string,
  request: { model: string; stream: boolean; maxTokens?: number },
): Promise<ChatOutcome> {
  const { model, stream } = request
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: 'Hello there.' }],
      max_tokens: request.maxTokens ?? 16,
      stream,
    }),
  })
  const body = await response.text()
  const requestId = response.headers.get('x-request-id')
  if (response.status !== 200) {
    const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null
    return { status: response.status, code, requestId, complete: false }
  }
  const complete = stream
    ? body.trimEnd().endsWith('data: [DONE]') && !body.includes('data: {"error"')
    : (JSON.parse(body) as { object?: string }).object === 'chat.completion'
  return { status: 200, code: null, requestId, complete }
}

/**
 * Run `workers` loops of `call` until `killWhen` says so (checked every 20 ms, given the request
 * IDs completed so far) or `deadlineMs` passes, then `kill` (which resolves once the victim is
 * dead), stop the workers and wait for them. A call that throws (the connection died with the
 * victim) counts as not completed. Returns the IDs of the requests that completed before the kill.
 */
export async function killUnderLoad(options: {
  workers: number
  /** Most calls per worker. @default 2000 */
  maxCallsPerWorker?: number
  call: (worker: number, i: number) => Promise<ChatOutcome>
  killWhen: (completed: readonly string[]) => boolean | Promise<boolean>
  deadlineMs: number
  kill: () => Promise<unknown>
}): Promise<{ completed: string[]; killedAtDeadline: boolean }> {
  const completed: string[] = []
  let stop = false
  const worker = async (n: number) => {
    for (let i = 0; !stop && i < (options.maxCallsPerWorker ?? 2_000); i++) {
      const outcome = await options.call(n, i).catch(() => null)
      if (outcome?.complete && outcome.requestId !== null && !stop)
        completed.push(outcome.requestId)
    }
  }
  const running = Array.from({ length: options.workers }, (_, n) => worker(n))
  const deadline = Date.now() + options.deadlineMs
  let reached = false
  while (!reached && Date.now() < deadline) {
    reached = await options.killWhen(completed)
    if (!reached) await new Promise((r) => setTimeout(r, 20))
  }
  await options.kill()
  stop = true
  await Promise.all(running)
  return { completed, killedAtDeadline: !reached }
}

/** An organization's ledger account, its entries and its open stored holds. */
export async function ledgerOf(db: Db, organizationId: string) {
  const account = await db
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow()
  const entries = await db
    .selectFrom('ledger_entries')
    .select(['kind', 'amount_micros', 'uncovered_micros', 'request_id'])
    .where('account_id', '=', account.account_id)
    .execute()
  const openHolds = await db
    .selectFrom('ledger_holds')
    .select('hold_id')
    .where('account_id', '=', account.account_id)
    .where('status', '=', 'open')
    .execute()
  return { account, entries, openHolds }
}

/**
 * What a crash may not do to completed requests: lose their usage event (`unrecorded`) or their
 * charge (`uncharged`), or leave a charge without its usage event (`halfWritten`).
 */
export async function lostUsage(
  db: Db,
  organizationId: string,
  completed: readonly string[],
): Promise<{ unrecorded: string[]; uncharged: string[]; halfWritten: string[] }> {
  const recorded = new Set(
    (
      await db
        .selectFrom('usage_events')
        .select('request_id')
        .where('organization_id', '=', organizationId)
        .execute()
    ).map((r) => r.request_id),
  )
  const { entries } = await ledgerOf(db, organizationId)
  const charged = new Set(entries.filter((e) => e.kind === 'usage_charge').map((e) => e.request_id))
  return {
    unrecorded: completed.filter((id) => !recorded.has(id)),
    uncharged: completed.filter((id) => !charged.has(id)),
    halfWritten: [...charged].filter((id): id is string => id !== null && !recorded.has(id)),
  }
}
