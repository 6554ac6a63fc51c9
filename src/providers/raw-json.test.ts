import { describe, expect, it } from 'vitest'
import { keepRawJson, rawJsonOf } from './raw-json.js'

describe('keepRawJson', () => {
  it('keeps the text a value was parsed from', () => {
    const text = '{"id":"c1","model":"m","x_vendor":{"a":1}}'
    const value = JSON.parse(text) as object
    keepRawJson(value, text)
    expect(rawJsonOf(value)).toBe(text)
  })

  it('refuses text that would break an SSE data line', () => {
    const text = '{"id":"c1",\n"model":"m"}'
    const value = JSON.parse(text) as object
    keepRawJson(value, text)
    expect(rawJsonOf(value)).toBeUndefined()
  })

  it('is invisible to JSON.stringify and to key enumeration', () => {
    const value = { a: 1 }
    keepRawJson(value, '{"a":1}')
    expect(JSON.stringify(value)).toBe('{"a":1}')
    expect(Object.keys(value)).toEqual(['a'])
  })
})
