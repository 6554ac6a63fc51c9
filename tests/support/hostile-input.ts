import fc from 'fast-check'

/**
 * Hostile values for the hostile-input suite (issue 11): what an attacker, a broken client or a
 * fuzzer sends. Fixed catalogues make every run cover the classic cases; the fast-check
 * arbitraries add random ones (with a fixed seed, so a run is repeatable).
 */

/** SQL metacharacters, LIKE wildcards and injection classics. */
export const SQL_METACHARACTERS = [
  "'",
  '"',
  "' OR '1'='1",
  "'; DROP TABLE api_keys;--",
  '; --',
  '%',
  '_',
  '%_%',
  '\\',
  '\\%',
  "%' OR 1=1 --",
  '`',
  '$1',
  '?',
] as const

/** Path traversal, raw and percent-encoded, as a path segment or value would carry it. */
export const TRAVERSAL_VALUES = [
  '../',
  '../../etc/passwd',
  '..\\..\\windows',
  '%2e%2e%2f',
  '..%2f..%2f',
  '%252e%252e%252f',
  '\u0000',
  'org_\u0000',
  '.',
  '..',
] as const

/** Unicode edge cases: NUL, lone surrogates, RTL override, zero-width, BOM, combining marks. */
export const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202eevil\u202c',
  '\u200b\u200d',
  '\ufeff',
  '\uffff',
  'e\u0301\u0301\u0301',
  '\u{1F4A9}',
  '\u0085\u2028\u2029',
  '\r\nX-Injected: 1',
] as const

/** Values of the wrong type for any field (a string field gets these, and so on). */
export const WRONG_TYPED_VALUES: readonly unknown[] = [
  12345,
  -1,
  1e308,
  0.5,
  true,
  [],
  [1, 'two', null],
  { $gt: '' },
  { nested: { deeper: [{}] } },
]

/** Malformed JSON texts, and bytes that are not UTF-8 at all (an overlong `/`, a stray 0xff). */
export const MALFORMED_JSON: readonly (string | Buffer)[] = [
  '{',
  '{"a":}',
  '[1,]',
  "{'a':1}",
  '{"a":1}}',
  '{"a":NaN}',
  '{"a":1e99999}',
  '{"a":"\\ud800"}',
  '{"a":"\\u00"}',
  '\u0000',
  // One leading BOM is allowed (RFC 8259 lets a parser ignore it, and Fastify does); two are not.
  '\ufeff\ufeff{}',
  '{}\ufeff',
  'null garbage',
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // {"a":"<overlong />"}
  Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
]

/** Top-level JSON of the wrong type: every body Ferry reads is an object. */
export const WRONG_TOP_LEVEL = ['[]', '1', '"text"', 'true', '[{"model":"x"}]'] as const

/** Prototype-poisoning payloads (Fastify is configured to refuse them). */
export const POISONED_JSON = [
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
] as const

/** `depth` nested arrays or objects: deep enough to break a recursive walker. */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

/** A hostile string: catalogue entries, huge strings, and random ones of every unit. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL_METACHARACTERS, ...UNICODE_EDGES) },
  { weight: 2, arbitrary: fc.constantFrom(...TRAVERSAL_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100_000), '\u{1F4A9}'.repeat(20_000)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom("'", '"', ';', '-', '%', '_', '\\', '\u0000', '/', '.', '\ud800'),
      minLength: 1,
      maxLength: 12,
    }),
  },
)

/** A hostile JSON value: hostile strings, wrong types and nested mixtures of both. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPED_VALUES) },
  {
    weight: 1,
    arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }).map((d) => ({ ...d })),
  },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
)

/** A request body that names an unknown field (strict schemas refuse it) plus hostile values. */
export const hostileObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(hostileString, hostileValue, hostileValue)
  .map(([name, value, reason]) => ({
    [`ferry_fuzz_${name.slice(0, 40)}`]: value,
    reason,
  }))

/**
 * Percent-encode for a URL, lone surrogates included (encodeURIComponent throws on them): a
 * surrogate goes out as its three WTF-8 bytes, which are not UTF-8, as a hostile client sends.
 */
export function encodeHostile(value: string): string {
  let out = ''
  for (const ch of value) {
    const unit = ch.charCodeAt(0)
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('')
    } else out += encodeURIComponent(ch)
  }
  return out
}

/** A hostile ID for a path segment: encoded as a client would send it, or raw. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => encodeHostile(s.slice(0, 2000))),
  fc.constantFrom(
    '..%2f..%2fadmins',
    '%2e%2e%2f%2e%2e%2f',
    '%2e%2e',
    '%00',
    'org_%00',
    '%252e%252e%252f',
    "'%20OR%20'1'%3D'1",
    '%25',
    '_',
    '%ZZ', // a broken percent-escape
    '%c0%af', // overlong `/`
    '%ed%a0%80', // an encoded lone surrogate
    'x'.repeat(5000),
  ),
)

/** An invalid `x-request-id` (the server must mint its own): too long, wrong alphabet, empty. */
export const INVALID_REQUEST_IDS = [
  '',
  ' ',
  'x'.repeat(129),
  '-leading-dash',
  'req id with spaces',
  "req_'; DROP TABLE usage_events;--",
  'req_\u202eevil',
  'req_%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'req_ok\r\nX-Injected: 1',
  'req_ok\nSet-Cookie: ferry_admin_session=stolen',
] as const
