import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeySecret } from '../keys/key-secret.js'
import { maskJson, maskMarker, maskSecrets, passesLuhn, type MaskKind } from './mask-secrets.js'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const from = (alphabet: string, min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max })

/** A Luhn-valid 16-digit number starting with 4 (a Visa-shaped test number). */
function luhnCard(body15: string): string {
  for (let check = 0; check <= 9; check++) {
    const candidate = `4${body15.slice(1)}${check}`
    if (passesLuhn(candidate)) return candidate
  }
  throw new Error('unreachable')
}

/** Generators of one secret of each kind, as it would appear in a prompt. */
const SECRETS: Record<string, fc.Arbitrary<string>> = {
  openai: from(ALNUM, 20, 48).map((s) => `sk-proj-${s}`),
  anthropic: from(ALNUM, 40, 90).map((s) => `sk-ant-api03-${s}`),
  ferry: fc
    .constantFrom('live', 'test')
    .map((environment) =>
      generateKeySecret({ environment: environment, hashKey: Buffer.alloc(32) }),
    )
    .map((k) => k.secret),
  aws: from(UPPER_DIGITS, 16).map((s) => `AKIA${s}`),
  github: from(ALNUM, 36).map((s) => `ghp_${s}`),
  slack: from(ALNUM, 24, 40).map((s) => `xoxb-1234-${s}`),
  google: from(ALNUM + '-_', 35).map((s) => `AIza${s}`),
  jwt: fc
    .tuple(from(ALNUM, 10, 30), from(ALNUM, 10, 60), from(ALNUM, 20, 43))
    .map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
  card: from('0123456789', 16).map(luhnCard),
  pem: from(ALNUM + '+/', 64, 200).map(
    (body) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`,
  ),
}

/** Prose around a secret: letters, spaces and punctuation that cannot extend a token. */
const prose = fc.string({ unit: fc.constantFrom(...'abc xyz .!?\n'.split('')), maxLength: 40 })

describe('maskSecrets', () => {
  it.each<[string, string, MaskKind]>([
    ['an OpenAI key', 'use sk-abcdefghijklmnop1234 now', 'openai_key'],
    ['an Anthropic key', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'anthropic_key'],
    ['an AWS access key', 'id AKIAIOSFODNN7EXAMPLE', 'aws_access_key'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'github_token'],
    ['a fine-grained GitHub token', 'github_pat_11ABCDEFG0123456789_abcdefghij', 'github_token'],
    ['a Slack token', 'xoxb-1234567890-abcdefghijkl', 'slack_token'],
    ['a Google API key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', 'google_api_key'],
    ['a bearer token', 'Authorization: Bearer abc.def-123456789', 'bearer_token'],
    ['a URL password', 'postgres://app:s3cr3tpass@db.example.com/x', 'url_password'],
    ['a password parameter', 'https://x.io/?user=a&password=hunter22&b=1', 'secret_value'],
    ['an env-file secret', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', 'secret_value'],
    ['a card number', 'card 4111 1111 1111 1111 thanks', 'card_number'],
    [
      'a PEM private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
      'private_key',
    ],
    ['a PEM block cut short', '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB', 'private_key'],
  ])('masks %s', (_name, text, kind) => {
    const { value, masked } = maskSecrets(text)
    expect(value).toContain(maskMarker(kind))
    expect(masked).toBeGreaterThan(0)
  })

  it('keeps the scheme, user and separators around a masked value', () => {
    expect(maskSecrets('Bearer abcdef123456789').value).toBe('Bearer [masked:bearer_token]')
    expect(maskSecrets('redis://default:pa55w0rd@cache:6379').value).toBe(
      'redis://default:[masked:url_password]@cache:6379',
    )
    expect(maskSecrets('{"password": "hunter2", "n": 1}').value).toBe(
      '{"password": "[masked:secret_value]", "n": 1}',
    )
  })

  it('leaves prose, timestamps and numbers that fail the Luhn check alone', () => {
    for (const text of [
      'Basic understanding of bearer instruments and secret recipes',
      'at 1767258000000 ms, order 4111111111111112',
      'max_tokens: 100, tokens are counted',
    ])
      expect(maskSecrets(text)).toEqual({ value: text, masked: 0 })
  })

  it('never leaves a planted secret in the output, wherever it sits', () => {
    fc.assert(
      fc.property(prose, fc.oneof(...Object.values(SECRETS)), prose, (before, secret, after) => {
        const { value } = maskSecrets(`${before} ${secret} ${after}`)
        expect(value).not.toContain(secret)
        // Not even a recognisable piece of it: no 8-character run survives.
        for (let i = 0; i + 8 <= secret.length; i += 8)
          expect(value).not.toContain(secret.slice(i, i + 8))
      }),
      { numRuns: 300 },
    )
  })

  it('is idempotent: masking masked text changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(prose, ...Object.values(SECRETS)), { maxLength: 6 }),
        (parts) => {
          const once = maskSecrets(parts.join(' ')).value
          expect(maskSecrets(once)).toEqual({ value: once, masked: 0 })
        },
      ),
    )
  })

  it('changes nothing in text without digits, symbols or secret names', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcdefghij klmnop\n'.split('')) }), (t) => {
        expect(maskSecrets(t).value).toBe(t)
      }),
    )
  })

  it('stays fast on long adversarial input', () => {
    const long = `${'a'.repeat(200_000)} ${'1 '.repeat(50_000)} password${'='.repeat(10_000)}`
    const started = performance.now()
    maskSecrets(long)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('maskJson', () => {
  it('masks inside nested string values without breaking the JSON', () => {
    const request = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'my key is sk-abcdefghijklmnop1234' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'deploy',
            arguments: '{"token":"ghp_abcdefghijklmnopqrstuvwxyz0123456789","password":"p4ss"}',
          },
        },
      ],
      headers: { Authorization: 'opaque', 'x-api-key': 'k-123' },
      max_tokens: 64,
      stream: false,
    }
    const { value, masked } = maskJson(request)
    const text = JSON.stringify(value)
    expect(text).not.toContain('sk-abcdefghijklmnop1234')
    expect(text).not.toContain('ghp_')
    expect(text).not.toContain('p4ss')
    expect(text).not.toContain('opaque')
    expect(masked).toBe(5)
    const out = value as typeof request
    expect(out.max_tokens).toBe(64)
    expect(out.messages[0]!.content).toBe('You are helpful.')
    // Tool arguments that were JSON are still JSON.
    expect(JSON.parse(out.tools[0]!.function.arguments)).toEqual({
      token: '[masked:github_token]',
      password: '[masked:secret_value]',
    })
  })

  it('keeps a "__proto__" key as a key (found by the property below)', () => {
    const json = JSON.parse('{"":{"__proto__":false},"a":{"__proto__":{"x":1}}}') as unknown
    const { value } = maskJson(json)
    expect(JSON.stringify(value)).toBe(JSON.stringify(json))
    expect(Object.getPrototypeOf((value as { a: object }).a)).toBe(Object.prototype)
  })

  it('keeps the shape of any JSON value and is idempotent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const { value } = maskJson(json)
        const shape = (v: unknown): unknown =>
          typeof v === 'string'
            ? 'S'
            : Array.isArray(v)
              ? v.map(shape)
              : typeof v === 'object' && v !== null
                ? Object.values(v).map(shape)
                : v
        expect(shape(value)).toEqual(shape(json))
        expect(maskJson(value).value).toEqual(value)
      }),
    )
  })

  it('masks a secret planted in any string of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.oneof(...Object.values(SECRETS)), (json, secret) => {
        const planted = { messages: [{ role: 'user', content: `see ${secret} .` }], rest: json }
        expect(JSON.stringify(maskJson(planted).value)).not.toContain(secret)
      }),
      { numRuns: 200 },
    )
  })
})
