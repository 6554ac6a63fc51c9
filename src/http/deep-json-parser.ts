import type { FastifyInstance } from 'fastify'
import { JsonTooDeepError } from '../lib/errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'

/**
 * The JSON body parser of every route: Fastify's own (prototype and constructor poisoning
 * refused, an empty body refused), after a check that the body does not nest deeper than
 * MAX_JSON_DEPTH. Without it a few kilobytes nested thousands deep got past parsing and
 * validation and overflowed the stack later — a 500 after the route had counted an upstream
 * attempt against the provider's health.
 */
export function refuseDeepJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new JsonTooDeepError(MAX_JSON_DEPTH), undefined)
      return
    }
    void parseJson(request, text, done)
  })
}
