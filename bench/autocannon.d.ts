declare module 'autocannon' {
  interface Histogram {
    p50: number
    p99: number
    average: number
  }
  interface Result {
    requests: { average: number; total: number }
    latency: Histogram
    non2xx: number
    errors: number
  }
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
