import { inspect } from 'node:util'

const SHOWN = '[redacted]'

/**
 * A secret held in memory (a provider credential read from the environment) that cannot leak by
 * accident: JSON, string conversion and `util.inspect` all show `[redacted]`, so logging the
 * object that carries it (the frozen Config, say) prints no secret. Only `reveal()` gives the
 * value, at the one place that needs it.
 * @example
 * const credential = new SecretText(env.OPENAI_API_KEY)
 * JSON.stringify({ credential }) // '{"credential":"[redacted]"}'
 * credential.reveal() // 'sk-…'
 */
export class SecretText {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  /** The secret itself. Call it only where the value leaves for its one legitimate use. */
  reveal(): string {
    return this.#value
  }

  toJSON(): string {
    return SHOWN
  }

  toString(): string {
    return SHOWN
  }

  [inspect.custom](): string {
    return `SecretText(${SHOWN})`
  }
}
