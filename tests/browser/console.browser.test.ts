import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page, type Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFerry, startFerry, type FerryProcess } from '../support/ferry-process.js'
import {
  adminResponseSchema,
  jsonSchemaProblems,
  pathTemplateOf,
} from '../support/openapi-validate.js'

/**
 * The admin console in a real Chromium (the machine's Debian package, never a downloaded one)
 * against a real Ferry with a real SQLite database: the flows of issue #9, with a screenshot of
 * each page in test-artifacts/console/.
 */
const CHROMIUM = process.env.FERRY_TEST_CHROMIUM ?? '/usr/bin/chromium'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console')
const EMAIL = 'owner@example.com'
const PASSWORD = 'browser owner passphrase 7'
const REQUEST_ID = 'browser-req-0001'

const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  const line = `ferry tests: Chromium not found at ${CHROMIUM} (apt-get install chromium)`
  if (process.env.FERRY_TEST_REQUIRE_SERVICES === '1')
    throw new Error(`${line}; FERRY_TEST_REQUIRE_SERVICES=1 makes this a failure`)
  process.stderr.write(`\n*** ${line}: the browser suite is SKIPPED ***\n\n`)
}

/** The console bundle `npm run build` writes; built here when a plain `npm test` has none. */
function ensureConsoleBuilt(): void {
  if (existsSync(join(ROOT, 'dist', 'console', 'index.html'))) return
  const built = spawnSync(
    'npx',
    ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  )
  if (built.status !== 0) throw new Error('could not build the console (npm run build:console)')
}

/** Sign in from Node to seed what the console does not own (a price table for the mock). */
async function adminSession(url: string) {
  const login = await fetch(`${url}/admin/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  })
  expect(login.status).toBe(200)
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const { csrfToken } = (await login.json()) as { csrfToken: string }
  return {
    post: (path: string, body: unknown) =>
      fetch(`${url}/admin/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify(body),
      }),
    get: (path: string) => fetch(`${url}/admin/v1${path}`, { headers: { cookie } }),
  }
}

/**
 * Checks each admin API answer the console receives against the response schema the served
 * OpenAPI document declares for it: the console's client is typed from that document, so an
 * answer that differs is a type the console believes and the server breaks.
 */
function answerChecker(document: Record<string, unknown>) {
  const problems: string[] = []
  const checked = new Set<string>()
  const pending: Promise<void>[] = []
  const inspect = async (response: Response) => {
    const url = new URL(response.url())
    const method = response.request().method()
    if (!url.pathname.startsWith('/admin/v1/') || !response.ok()) return
    if (!(response.headers()['content-type'] ?? '').startsWith('application/json')) return
    const template = pathTemplateOf(document, method, url.pathname)
    if (template === undefined) {
      problems.push(`${method} ${url.pathname}: not in the OpenAPI document`)
      return
    }
    const schema = adminResponseSchema(document, {
      method,
      path: template,
      status: response.status(),
    })
    if (schema === undefined) return
    checked.add(`${method} ${template}`)
    const found = jsonSchemaProblems(schema, await response.json(), `${method} ${template}`)
    problems.push(...found)
  }
  const missing: string[] = []
  return {
    problems,
    checked,
    /** Files the console asked for and did not get (a favicon, a chunk); API 404s are answers. */
    missing,
    listen: (response: Response) => {
      if (response.status() === 404 && !new URL(response.url()).pathname.startsWith('/admin/v1/'))
        missing.push(response.url())
      pending.push(inspect(response).catch(() => undefined))
    },
    settled: () => Promise.all(pending),
  }
}

/** Every form control and button on the page has an accessible name (from the ARIA tree). */
async function expectNamedControls(page: Page): Promise<void> {
  const tree = await page.locator('body').ariaSnapshot()
  const unnamed = tree
    .split('\n')
    .filter((line) =>
      /^\s*- (textbox|button|combobox|spinbutton|searchbox|checkbox|radio|link)\b(?! ")/.test(line),
    )
  expect(unnamed, `controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([])
}

describe.skipIf(!hasChromium)('the admin console in Chromium', () => {
  let cwd: string
  let ferry: FerryProcess & { url: string }
  let browser: Browser
  let page: Page
  let keySecret = ''
  let shot = 0
  let answers: ReturnType<typeof answerChecker>
  let seed: Awaited<ReturnType<typeof adminSession>>
  const screenshot = async (name: string) => {
    await expectNamedControls(page)
    await page.screenshot({
      path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    })
  }
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
  const reason = async (code: string, note?: string) => {
    await page.getByLabel('Reason code').fill(code)
    if (note) await page.getByLabel('Reason note').fill(note)
  }

  beforeAll(async () => {
    ensureConsoleBuilt()
    rmSync(ARTIFACTS, { recursive: true, force: true })
    mkdirSync(ARTIFACTS, { recursive: true })
    cwd = mkdtempSync(join(tmpdir(), 'ferry-browser-'))
    const create = runFerry(
      ['admin', 'create', '--email', EMAIL, '--role', 'owner', '--password-stdin'],
      {
        cwd,
        stdin: `${PASSWORD}\n`,
      },
    )
    expect((await create.exited).code, create.stderr.join('')).toBe(0)
    ferry = await startFerry([], { cwd })
    seed = await adminSession(ferry.url)
    const served = await seed.get('/openapi.json')
    expect(served.status).toBe(200)
    answers = answerChecker((await served.json()) as Record<string, unknown>)
    const prices = await seed.post('/price-tables', {
      rows: [
        {
          providerKind: 'mock',
          model: 'mock',
          inputMicrosPer1M: '100000000',
          outputMicrosPer1M: '200000000',
        },
        {
          providerKind: 'mock',
          model: 'mock-embedding',
          inputMicrosPer1M: '10000000',
          outputMicrosPer1M: '0',
        },
      ],
    })
    expect(prices.status, await prices.clone().text()).toBe(201)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(10_000)
    page.on('response', answers.listen)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    ferry?.child.kill('SIGTERM')
    await ferry?.exited
    if (cwd) rmSync(cwd, { recursive: true, force: true })
  })

  it('signs in with the keyboard and shows the role', async () => {
    await page.goto(`${ferry.url}/console/`)
    await expect
      .poll(() => page.getByRole('heading', { name: 'Sign in to Ferry' }).isVisible())
      .toBe(true)
    await screenshot('sign-in')
    // Keyboard: Tab reaches email, password and the button in order.
    await page.getByLabel('Email').focus()
    await page.keyboard.type(EMAIL)
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.getAttribute("type")')).toBe('password')
    await page.keyboard.type('wrong password!!')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid_credentials')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Sign in')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('role').textContent()).toBe('owner')
  })

  it('creates an organization and a key whose secret is shown once', async () => {
    await nav('Organizations')
    await expect.poll(() => page.getByText('No organizations yet').isVisible()).toBe(true)
    await screenshot('organizations-empty')
    await page.getByRole('button', { name: 'Create organization' }).click()
    await page.getByLabel('Organization name').fill('Acme Browser')
    await page.getByRole('dialog').getByRole('button', { name: 'Create organization' }).click()
    await expect
      .poll(() => page.getByRole('heading', { name: 'Acme Browser', level: 1 }).isVisible())
      .toBe(true)

    await page.getByRole('button', { name: 'Create API key' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Key name').fill('production backend')
    // Keyboard: Tab moves from the name to the environment select.
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('SELECT')
    await screenshot('create-key')
    await dialog.getByRole('button', { name: 'Create key' }).click()
    const secret = page.getByTestId('key-secret')
    await expect.poll(() => secret.isVisible()).toBe(true)
    keySecret = (await secret.textContent())!
    expect(keySecret).toMatch(/^fk_live_/)
    expect(await page.getByText('This is the only time Ferry shows it.').isVisible()).toBe(true)
    expect(await page.getByRole('button', { name: 'Copy secret' }).isVisible()).toBe(true)
    await screenshot('key-secret-once')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.getByTestId('key-secret').count()).toBe(0)
  })

  it('adds credit, changes the budget, and refunds a request with a reason', async () => {
    await page.getByRole('button', { name: 'Add credit' }).click()
    await page.getByLabel('Credit amount (USD)').fill('20')
    await page.getByRole('dialog').getByRole('button', { name: 'Add credit' }).click()
    // The server refuses a high-risk action without a reason; the form requires one first.
    expect(
      await page
        .getByLabel('Reason code')
        .evaluate(
          (el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing,
        ),
    ).toBe(true)
    await reason('billing_dispute_credit', 'launch credit')
    await page.getByRole('dialog').getByRole('button', { name: 'Add credit' }).click()
    await expect.poll(() => page.getByTestId('balance-live').textContent()).toBe('20.00 USD')

    await page.getByRole('button', { name: 'Publish new budget version' }).click()
    await page.getByLabel('Monthly spend cap (USD)').fill('150')
    await page.getByLabel('Warn when balance below (USD)').fill('5')
    await page.getByRole('button', { name: 'Publish version' }).click()
    await expect.poll(() => page.getByTestId('spend-cap').textContent()).toBe('150.00 USD')

    const completion = await fetch(`${ferry.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keySecret}`,
        'content-type': 'application/json',
        'x-request-id': REQUEST_ID,
      },
      body: JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'hello' }] }),
    })
    expect(completion.status).toBe(200)
    await page.reload()
    await expect
      .poll(() => page.getByRole('link', { name: REQUEST_ID }).isVisible(), { timeout: 10_000 })
      .toBe(true)

    await page.getByRole('button', { name: 'Refund a request' }).click()
    await page.getByLabel('Request ID').fill(REQUEST_ID)
    await page.getByRole('button', { name: 'Find the charge' }).click()
    await expect.poll(() => page.getByLabel('Refund amount (USD)').isVisible()).toBe(true)
    await reason('failed_request_refund', 'customer reported a bad answer')
    await screenshot('refund')
    await page.getByRole('dialog').getByRole('button', { name: 'Refund', exact: true }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'refund', exact: true }).count()).toBe(1)
    await screenshot('organization-detail')
  })

  it('sets a key’s rate limits, edits the organization, and voids an invoice credit', async () => {
    await page.getByRole('link', { name: 'production backend' }).click()
    await page.getByLabel('Requests per minute').fill('120')
    await page.getByLabel('Tokens per minute').fill('50000')
    await page.getByRole('button', { name: 'Save rate limits' }).click()
    await expect
      .poll(() => page.getByTestId('key-rate-limits').textContent())
      .toBe('120 requests/min · 50000 tokens/min')
    await screenshot('key-rate-limits')
    await page.getByRole('link', { name: '← Back to the organization' }).click()

    await page.getByRole('button', { name: 'Edit organization' }).click()
    const edit = page.getByRole('dialog')
    await edit.getByLabel('External ID').fill('crm-42')
    // A malformed metadata line is refused in the form, and nothing is sent.
    await edit.getByLabel('Metadata').fill('plan enterprise')
    await edit.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => edit.getByRole('alert').textContent()).toContain('not key=value')
    await edit.getByLabel('Metadata').fill('plan=enterprise\nregion=eu')
    await edit.getByLabel('Requests per minute').fill('600')
    await screenshot('edit-organization')
    await edit.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => page.getByTestId('org-external-id').textContent()).toBe('crm-42')
    expect(await page.getByTestId('org-metadata').textContent()).toBe('plan=enterprise, region=eu')
    expect(await page.getByTestId('org-rate-limits').textContent()).toBe('600 requests/min')

    await page.getByRole('button', { name: 'Add credit' }).click()
    const credit = page.getByRole('dialog')
    await credit.getByLabel('Credit amount (USD)').fill('5')
    await credit.getByLabel('Credit expires at (optional)').fill('2030-01-31T12:00')
    await credit.getByLabel('Invoice ID (optional)').fill('INV-7')
    await reason('billing_correction')
    await credit.getByRole('button', { name: 'Add credit' }).click()
    const applied = page.getByRole('row', { name: /invoice_application/ })
    await expect.poll(() => applied.count()).toBe(1)
    await applied.getByRole('button', { name: 'Void' }).click()
    // The server refuses a void without a reason; the form asks for one first.
    await reason('billing_correction', 'invoice applied twice')
    await screenshot('void-entry')
    await page.getByRole('dialog').getByRole('button', { name: 'Void entry' }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'void', exact: true }).count()).toBe(1)
    // Voiding it again is refused with the server's own message.
    await applied.getByRole('button', { name: 'Void' }).click()
    await reason('billing_correction')
    await page.getByRole('dialog').getByRole('button', { name: 'Void entry' }).click()
    await expect.poll(() => page.getByRole('dialog').getByRole('alert').isVisible()).toBe(true)
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
  })

  it('revokes the key with a reason', async () => {
    await page.getByRole('button', { name: 'Revoke' }).click()
    await reason('suspected_key_leak')
    await page.getByRole('button', { name: 'Revoke key' }).click()
    await expect.poll(() => page.getByText('revoked', { exact: true }).count()).toBeGreaterThan(0)
    const refused = await fetch(`${ferry.url}/v1/models`, {
      headers: { authorization: `Bearer ${keySecret}` },
    })
    expect(refused.status).toBe(401)
  })

  it('finds all of that in the audit log with its diff, and the chain verifies', async () => {
    await nav('Audit log')
    await expect.poll(() => page.getByRole('cell', { name: 'api_key.revoke' }).count()).toBe(1)
    for (const action of [
      'organization.create',
      'organization.update',
      'api_key.create',
      'api_key.rate_limit_update',
      'budget_policy.publish',
      'billing.refund',
      'billing.void',
    ])
      expect(await page.getByRole('cell', { name: action, exact: true }).count(), action).toBe(1)
    // The launch credit and the invoice credit that was voided.
    expect(await page.getByRole('cell', { name: 'billing.credit', exact: true }).count()).toBe(2)
    await page.getByLabel('Action').fill('api_key.revoke')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await expect.poll(() => page.getByRole('row').count()).toBe(2)
    await page.getByRole('button', { name: 'Show diff' }).click()
    const diff = page.getByRole('table', { name: 'Changed fields' })
    await expect
      .poll(() => diff.getByRole('row', { name: /^status/ }).textContent())
      .toBe('statusactiverevoked')
    expect(await page.getByText('suspected_key_leak').isVisible()).toBe(true)
    await page.getByLabel('Action').fill('billing.refund')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByRole('button', { name: 'Show diff' }).click()
    await expect
      .poll(() =>
        page.getByText('failed_request_refund — customer reported a bad answer').isVisible(),
      )
      .toBe(true)
    await page.getByRole('button', { name: 'Verify chains' }).click()
    await expect
      .poll(() => page.getByTestId('chain-status').textContent())
      .toMatch(/^Chain verified/)
    // The export is fetched by the page (progress, the server's message on a refusal), then saved.
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export (signed JSONL)' }).click()
    expect((await download).suggestedFilename()).toMatch(/\.jsonl$/)
    await expect.poll(() => page.getByText(/^Saved .*\.jsonl \(/).isVisible()).toBe(true)
    await screenshot('audit-log')
  })

  it('opens the evidence view for the request', async () => {
    await nav('Evidence')
    await expect.poll(() => page.getByText('Paste the request ID').isVisible()).toBe(true)
    await page.getByLabel('Request ID').fill(REQUEST_ID)
    await page.getByRole('button', { name: 'Show evidence' }).click()
    const evidence = page.getByTestId('evidence')
    await expect.poll(() => evidence.isVisible()).toBe(true)
    expect(await evidence.textContent()).toContain('usage_charge')
    expect(await evidence.textContent()).toContain('refund')
    expect(await evidence.textContent()).toContain('billing.refund')
    await screenshot('evidence')
  })

  it('lists organizations with live balance and spend, and switches to test', async () => {
    await nav('Organizations')
    const row = page.getByRole('row', { name: /Acme Browser/ })
    // 20.00 of credit, less the request's charge, plus its refund.
    await expect
      .poll(() => row.getByRole('cell').nth(3).textContent())
      .toMatch(/^(19|20)\.\d+ USD$/)
    expect(await page.getByRole('columnheader', { name: 'Balance (live)' }).isVisible()).toBe(true)
    // The month's spend is what was charged, refunded or not.
    expect(await row.getByRole('cell').nth(4).textContent()).toMatch(/^0\.\d*[1-9]\d* USD$/)
    await page.getByRole('radio', { name: 'Test' }).check()
    await expect.poll(() => row.getByRole('cell').nth(3).textContent()).toBe('0.00 USD')
    expect(await row.getByRole('cell').nth(4).textContent()).toBe('0.00 USD')
    await screenshot('organizations-test')
    await page.getByRole('radio', { name: 'Live' }).check()
  })

  it('shows usage, routing, approvals and support sessions', async () => {
    await nav('Usage')
    await expect.poll(() => page.getByRole('img', { name: /Tokens by day/ }).isVisible()).toBe(true)
    await screenshot('usage')
    await nav('Routing')
    await page.getByLabel('Model or alias').fill('mock')
    await page.getByRole('button', { name: 'Explain' }).click()
    await expect
      .poll(() => page.getByText('No route policy has been published').first().isVisible())
      .toBe(true)
    await screenshot('routing')
    await nav('Approvals')
    await screenshot('approvals')
    await nav('Support sessions')
    await expect.poll(() => page.getByText('No support session is open.').isVisible()).toBe(true)
    await screenshot('support-sessions')
  })

  it('publishes a route policy with the structured editor, compares versions and rolls back', async () => {
    await nav('Routing')
    await page.getByRole('button', { name: 'Publish policy' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('button', { name: 'Add route' }).click()
    await dialog.getByLabel('Name of route 1').fill('chat-default')
    await dialog.getByLabel('Aliases of chat-default').fill('assistant')
    await dialog.getByLabel('Provider of target 1 of chat-default').fill('mock')
    await dialog.getByLabel('Model of target 1 of chat-default').fill('mock')
    await dialog.getByRole('button', { name: 'Add target to chat-default' }).click()
    await dialog.getByLabel('Provider of target 2 of chat-default').fill('mock')
    await dialog.getByLabel('Model of target 2 of chat-default').fill('mock-embedding')
    await dialog.getByLabel('Strategy of chat-default').selectOption('weighted')
    await dialog.getByLabel('Weight of target 2 of chat-default').fill('3')
    await dialog.getByRole('checkbox', { name: 'context_length' }).check()
    // Keyboard: Tab moves from a target's provider to its model.
    await dialog.getByLabel('Provider of target 1 of chat-default').focus()
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe(
      'Model of target 1 of chat-default',
    )
    await reason('provider_outage_failover')
    await screenshot('routing-editor')
    await dialog.getByRole('button', { name: 'Publish', exact: true }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'v1', exact: true }).count()).toBe(1)

    // The JSON view shows what the form built; an edit there is published as it is.
    await page.getByRole('button', { name: 'Publish policy' }).click()
    await dialog.getByRole('checkbox', { name: /Edit as JSON/ }).check()
    const json = dialog.getByLabel('Policy (JSON, see docs/routing.md)')
    const policy = JSON.parse(await json.inputValue()) as {
      routes: Record<string, { targets: { weight: number }[]; fallbackOn: string[] }>
    }
    expect(policy.routes['chat-default']!.targets.map((t) => t.weight)).toEqual([1, 3])
    expect(policy.routes['chat-default']!.fallbackOn).toContain('context_length')
    policy.routes['chat-default']!.targets[1]!.weight = 5
    await json.fill(JSON.stringify(policy, null, 2))
    // Back to the form: it reads the JSON.
    await dialog.getByRole('checkbox', { name: /Edit as JSON/ }).uncheck()
    expect(await dialog.getByLabel('Weight of target 2 of chat-default').inputValue()).toBe('5')
    await reason('provider_outage_failover')
    await dialog.getByRole('button', { name: 'Publish', exact: true }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'v2', exact: true }).count()).toBe(1)

    await page.getByLabel('From version').selectOption('1')
    await page.getByLabel('To version').selectOption('2')
    await expect
      .poll(() => page.getByText('routes.chat-default.targets').first().isVisible())
      .toBe(true)
    await screenshot('routing-diff')

    await page.getByRole('button', { name: 'Roll back to v1' }).click()
    await reason('provider_outage_failover')
    await page.getByRole('dialog').getByRole('button', { name: 'Re-publish v1' }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'v3 (rollback of v1)' }).count()).toBe(1)
    await page.getByLabel('Model or alias').fill('assistant')
    await page.getByRole('button', { name: 'Explain' }).click()
    await expect.poll(() => page.getByText('chat-default').first().isVisible()).toBe(true)
    await screenshot('routing-rollback')
  })

  /** Another admin, signed in with the keyboard-free path in a browser context of its own. */
  const signInAs = async (role: string, email: string): Promise<Page> => {
    const password = `${role} browser passphrase 9`
    const created = await seed.post('/admins', {
      email,
      role,
      password,
      reason: { code: 'browser_suite_admin' },
    })
    expect(created.status, await created.clone().text()).toBe(201)
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const other = await context.newPage()
    other.setDefaultTimeout(10_000)
    other.on('response', answers.listen)
    await other.goto(`${ferry.url}/console/`)
    await other.getByLabel('Email').fill(email)
    await other.getByLabel('Password').fill(password)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => other.getByTestId('role').textContent()).toBe(role)
    return other
  }
  const openAcme = async (on: Page) => {
    await on
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Organizations' })
      .click()
    await on.getByRole('link', { name: 'Acme Browser' }).click()
    await expect
      .poll(() => on.getByRole('heading', { name: 'Acme Browser', level: 1 }).isVisible())
      .toBe(true)
  }

  it('a second admin grants an approval its requester may not grant', async () => {
    await openAcme(page)
    await page.getByRole('button', { name: 'Request approval' }).click()
    await page.getByLabel('Action to approve').selectOption('billing.credit')
    await page.getByLabel('Approval amount (USD)').fill('5000')
    await page.getByRole('dialog').getByRole('button', { name: 'Request approval' }).click()
    const status = page.getByRole('dialog').getByRole('status')
    await expect.poll(() => status.textContent()).toMatch(/apr_[0-9a-z]{26}/)
    const approvalId = /apr_[0-9a-z]{26}/.exec((await status.textContent())!)![0]
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()

    // The requester sees it waiting and is not offered the grant; the server refuses it anyway.
    await nav('Approvals')
    await page.getByRole('button', { name: `Open ${approvalId}` }).click()
    await expect
      .poll(() =>
        page.getByText('You requested this approval: a different admin must grant it.').isVisible(),
      )
      .toBe(true)
    expect(await page.getByRole('button', { name: 'Grant approval' }).count()).toBe(0)
    const self = await seed.post(`/billing/approvals/${approvalId}/grant`, {
      reason: { code: 'self_grant_attempt' },
    })
    expect(self.status).toBeGreaterThanOrEqual(400)
    expect(self.status).toBeLessThan(500)

    const second = await signInAs('owner', 'second-owner@example.com')
    await second
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Approvals' })
      .click()
    await second.getByRole('button', { name: `Open ${approvalId}` }).click()
    await second.getByLabel('Reason code').fill('large_prepayment_verified')
    await second.getByRole('button', { name: 'Grant approval' }).click()
    await expect.poll(() => second.getByText('granted', { exact: true }).count()).toBe(1)
    await second.screenshot({
      path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-approval-granted.png`),
      fullPage: true,
    })
    await second.context().close()
  })

  it('shows a read-only role its pages without the actions it may not take', async () => {
    const viewer = await signInAs('viewer', 'viewer@example.com')
    const links = viewer.getByRole('navigation', { name: 'Main' }).getByRole('link')
    const names = await links.allTextContents()
    expect(names).toContain('Organizations')
    expect(names).toContain('Routing')
    expect(names).not.toContain('Audit log')
    await viewer
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Organizations' })
      .click()
    await expect
      .poll(() => viewer.getByRole('link', { name: 'Acme Browser' }).isVisible())
      .toBe(true)
    expect(await viewer.getByRole('button', { name: 'Create organization' }).count()).toBe(0)
    await openAcme(viewer)
    // Everything is readable ...
    await expect.poll(() => viewer.getByTestId('balance-live').isVisible()).toBe(true)
    expect(await viewer.getByTestId('org-external-id').textContent()).toBe('crm-42')
    // ... and nothing offers a change.
    for (const action of [
      'Edit organization',
      'Suspend',
      'Create API key',
      'Add credit',
      'Refund a request',
      'Publish new budget version',
      'Void',
    ])
      expect(await viewer.getByRole('button', { name: action, exact: true }).count(), action).toBe(
        0,
      )
    await viewer.screenshot({
      path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-viewer-organization.png`),
      fullPage: true,
    })
    await viewer
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Routing' })
      .click()
    await expect.poll(() => viewer.getByRole('cell', { name: 'v1', exact: true }).count()).toBe(1)
    expect(await viewer.getByRole('button', { name: 'Publish policy' }).count()).toBe(0)
    expect(await viewer.getByRole('button', { name: /^Roll back/ }).count()).toBe(0)
    // A page it may not read says why, even when opened by its URL.
    await viewer.goto(`${ferry.url}/console/audit`)
    await expect.poll(() => viewer.getByRole('main').textContent()).toContain('audit.read')
    await viewer.context().close()
  })

  it('starts a support session, shows its banner on every page, and ends it', async () => {
    await openAcme(page)
    const organizationId = (await page.locator('dl.facts code').first().textContent())!
    await nav('Support sessions')
    await page.getByLabel('Organization ID').fill(organizationId)
    await page.getByLabel('Duration (minutes, at most 240)').fill('30')
    await reason('customer_support_investigation', 'ticket 4711')
    await page.getByRole('button', { name: 'Start session' }).click()
    const banner = page.getByRole('status').filter({ hasText: 'Support session active on' })
    await expect.poll(() => banner.isVisible()).toBe(true)
    expect(await banner.textContent()).toContain(organizationId)
    await screenshot('support-session-banner')
    await nav('Organizations')
    await expect.poll(() => banner.isVisible()).toBe(true)
    await nav('Support sessions')
    await page.getByRole('button', { name: 'End session' }).click()
    await expect.poll(() => banner.count()).toBe(0)
    await expect.poll(() => page.getByText('No support session is open.').isVisible()).toBe(true)
  })

  it('received only answers that match the OpenAPI document, and no 404', async () => {
    await answers.settled()
    expect(answers.problems).toEqual([])
    expect(answers.missing).toEqual([])
    const icon = await fetch(`${ferry.url}/console/favicon.svg`)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/svg+xml')
    // The flows above read and changed organizations, keys, billing, budgets, usage, audit,
    // evidence, routing, approvals and support sessions through typed answers.
    expect(answers.checked.size).toBeGreaterThan(20)
  })
})
