/**
 * V8 flags the gateway's own launchers (`npm start`, the workers of `ferry start --workers N`,
 * the benchmark harness) start it with. They can only be given on the command line or in
 * NODE_OPTIONS: V8 sizes the young generation when the process starts, so setting them from
 * inside has no effect.
 *
 * `--max-semi-space-size=32` (MiB; Node 20–24 default 16 on 64-bit): each request keeps a few
 * kilobytes alive for its ~10 ms, and with 50 in flight a small young generation is scavenged
 * so often that it copies most of them to survivor space once or twice before they die. A
 * larger one lets them die first: interleaved runs of the priced benchmark measured ~10% more
 * requests per second and ~10% less CPU per request, for at most 64 MiB more memory under load
 * (docs/performance.md, round 7). 64 measured the same as 32.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32']

/**
 * `execArgv` with the gateway's flags added, except those the operator already gave a value
 * for (on the command line or in NODE_OPTIONS): theirs win.
 */
export function withGatewayNodeFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName)
  return [...execArgv, ...GATEWAY_NODE_FLAGS.filter((flag) => !given.includes(flagName(flag)))]
}

/** `--max-semi-space-size=32` → `--max-semi-space-size`; V8 accepts `_` for `-` as well. */
function flagName(arg: string): string {
  return arg.split('=', 1)[0]!.replaceAll('_', '-')
}
