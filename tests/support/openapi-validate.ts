import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

/**
 * A small JSON Schema checker over OpenAI's own spec (shared/reference/openai-openapi.yaml), for
 * asserting that what Ferry produces is what OpenAI documents. It covers the keywords the spec
 * uses for response shapes: $ref, type (also as a list), nullable (3.0 style), enum, const,
 * properties, required, additionalProperties, items, allOf, anyOf, oneOf, min/max(Items).
 * `oneOf` is checked like `anyOf`: several of the spec's variants overlap.
 */

type Schema = Record<string, unknown>

const SPEC_PATH = new URL('../../../shared/reference/openai-openapi.yaml', import.meta.url)

let schemas: Record<string, Schema> | undefined

function components(): Record<string, Schema> {
  if (schemas === undefined) {
    const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as {
      components: { schemas: Record<string, Schema> }
    }
    schemas = spec.components.schemas
  }
  return schemas
}

/** The problems of `value` against the named component schema; empty when it conforms. */
export function schemaProblems(name: string, value: unknown): string[] {
  const schema = components()[name]
  if (schema === undefined) throw new Error(`No schema ${name} in the spec`)
  const problems: string[] = []
  check(schema, value, { path: name, problems })
  return problems
}

/** Throw with every problem when `value` does not conform to the named schema. */
export function assertMatchesSchema(name: string, value: unknown): void {
  const problems = schemaProblems(name, value)
  if (problems.length > 0) throw new Error(`Not a valid ${name}:\n  ${problems.join('\n  ')}`)
}

/**
 * The problems of `value` against a standalone JSON Schema (one without `$ref`s into OpenAI's
 * spec), e.g. a response schema of Ferry's own admin OpenAPI document.
 */
export function jsonSchemaProblems(schema: Schema, value: unknown, path = 'response'): string[] {
  const problems: string[] = []
  check(schema, value, { path, problems })
  return problems
}

/**
 * The JSON schema a route's success answer has in Ferry's admin OpenAPI document, or undefined
 * when the operation declares none (a download).
 */
export function adminResponseSchema(
  document: Record<string, unknown>,
  operation: { method: string; path: string; status: number },
): Schema | undefined {
  const paths = document.paths as Record<string, Record<string, Schema>>
  const op = paths[operation.path]?.[operation.method.toLowerCase()] as
    { responses: Record<string, { content?: Record<string, { schema: Schema }> }> } | undefined
  return op?.responses[String(operation.status)]?.content?.['application/json']?.schema
}

/**
 * The document's path template a concrete URL path is an instance of (`/admin/v1/orgs/org_1` →
 * `/admin/v1/orgs/{organizationId}`); a literal segment wins over a parameter
 * (`/route-policies/diff` is not `/route-policies/{version}`).
 */
export function pathTemplateOf(
  document: Record<string, unknown>,
  method: string,
  pathname: string,
): string | undefined {
  const paths = document.paths as Record<string, Record<string, unknown>>
  const matches = Object.keys(paths).filter((template) => {
    if (paths[template]?.[method.toLowerCase()] === undefined) return false
    const pattern = template
      .split('/')
      .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/')
    return new RegExp(`^${pattern}$`).test(pathname)
  })
  const params = (template: string) => (template.match(/\{/g) ?? []).length
  return matches.sort((a, b) => params(a) - params(b))[0]
}

interface Walk {
  path: string
  problems: string[]
}

function resolve(schema: Schema): Schema {
  let current = schema
  for (let depth = 0; typeof current.$ref === 'string' && depth < 20; depth++) {
    const name = current.$ref.replace('#/components/schemas/', '')
    const target = components()[name]
    if (target === undefined) throw new Error(`Unresolvable $ref ${current.$ref}`)
    const { $ref: _ref, ...rest } = current
    current = { ...target, ...rest }
  }
  return current
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'string':
      return typeof value === 'string'
    case 'boolean':
      return typeof value === 'boolean'
    case 'integer':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'array':
      return Array.isArray(value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    default:
      return true
  }
}

function check(raw: Schema, value: unknown, walk: Walk): void {
  const schema = resolve(raw)
  if (value === null && schema.nullable === true) return
  const { path, problems } = walk

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
    if (!types.some((t) => typeMatches(t, value))) {
      problems.push(
        `${path}: expected ${types.join('|')}, got ${JSON.stringify(value)?.slice(0, 80)}`,
      )
      return
    }
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.includes(value) &&
    !(value === null && schema.nullable === true)
  )
    problems.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`)
  if ('const' in schema && schema.const !== value)
    problems.push(`${path}: expected const ${JSON.stringify(schema.const)}`)

  if (Array.isArray(schema.allOf))
    for (const part of schema.allOf as Schema[]) check(part, value, walk)
  for (const key of ['anyOf', 'oneOf'] as const) {
    const variants = schema[key]
    if (!Array.isArray(variants)) continue
    const results = (variants as Schema[]).map((variant) => {
      const sub: Walk = { path, problems: [] }
      check(variant, value, sub)
      return sub.problems
    })
    if (!results.some((r) => r.length === 0)) {
      const best = results.reduce((a, b) => (b.length < a.length ? b : a))
      problems.push(`${path}: matches no ${key} variant; closest: ${best.join('; ')}`)
    }
  }

  if (typeMatches('object', value)) checkObject(schema, value as Record<string, unknown>, walk)
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      problems.push(`${path}: fewer than ${schema.minItems} items`)
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      problems.push(`${path}: more than ${schema.maxItems} items`)
    if (typeof schema.items === 'object' && schema.items !== null)
      value.forEach((item, i) =>
        check(schema.items as Schema, item, { path: `${path}[${i}]`, problems }),
      )
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      problems.push(`${path}: below ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      problems.push(`${path}: above ${schema.maximum}`)
  }
}

function checkObject(schema: Schema, value: Record<string, unknown>, walk: Walk): void {
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  for (const key of (schema.required ?? []) as string[])
    if (!(key in value)) walk.problems.push(`${walk.path}: missing required '${key}'`)
  for (const [key, item] of Object.entries(value)) {
    const childPath = `${walk.path}.${key}`
    const property = properties[key]
    if (property !== undefined) check(property, item, { path: childPath, problems: walk.problems })
    else if (schema.additionalProperties === false) walk.problems.push(`${childPath}: not allowed`)
    else if (
      typeof schema.additionalProperties === 'object' &&
      schema.additionalProperties !== null
    )
      check(schema.additionalProperties as Schema, item, {
        path: childPath,
        problems: walk.problems,
      })
  }
}
