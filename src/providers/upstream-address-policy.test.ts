import { describe, expect, it } from 'vitest'
import { parseIPv6 } from './ip-address.js'
import {
  DEFAULT_UPSTREAM_ADDRESS_POLICY,
  allowlistEntryProblem,
  classifyHost,
  hostRefusal,
  resolvedAddressRefusal,
} from './upstream-address-policy.js'

const hostOf = (url: string) => new URL(url).hostname

describe('upstream address policy', () => {
  it('classifies the dangerous ranges, whatever spelling the URL used', () => {
    const cases: [string, string][] = [
      ['http://169.254.169.254/latest', 'metadata'],
      ['http://2852039166/', 'metadata'], // decimal
      ['http://0251.0376.0251.0376/', 'metadata'], // octal
      ['http://0xa9.0xfe.0xa9.0xfe/', 'metadata'], // hex octets
      ['http://0xa9fea9fe/', 'metadata'], // hex
      ['http://169.254.43518/', 'metadata'], // dotted with a 16-bit tail
      ['http://[::ffff:169.254.169.254]/', 'metadata'], // IPv4-mapped
      ['http://[::ffff:a9fe:a9fe]/', 'metadata'],
      ['http://[64:ff9b::a9fe:a9fe]/', 'metadata'], // NAT64
      ['http://[2002:a9fe:a9fe::]/', 'metadata'], // 6to4
      ['http://[fd00:ec2::254]/', 'metadata'],
      ['http://metadata.google.internal/', 'metadata'],
      ['http://METADATA.google.internal./', 'metadata'],
      ['http://100.100.100.200/', 'metadata'],
      ['http://169.254.1.1/', 'link_local'],
      ['http://[fe80::1]/', 'link_local'],
      ['http://[::ffff:169.254.1.1]/', 'link_local'],
      ['http://0.0.0.0/', 'reserved'],
      ['http://0/', 'reserved'],
      ['http://[::]/', 'reserved'],
      ['http://224.0.0.1/', 'reserved'],
      ['http://255.255.255.255/', 'reserved'],
      ['http://[ff02::1]/', 'reserved'],
      ['http://127.0.0.1:8000/v1', 'private'],
      ['http://2130706433/', 'private'], // 127.0.0.1 in decimal
      ['http://localhost:11434/', 'private'],
      ['http://[::1]/', 'private'],
      ['http://[::ffff:127.0.0.1]/', 'private'],
      ['http://10.1.2.3/', 'private'],
      ['http://172.31.0.1/', 'private'],
      ['http://192.168.1.10/', 'private'],
      ['http://[fd12::1]/', 'private'],
      ['https://api.openai.com/v1', 'public'],
      ['http://172.32.0.1/', 'public'],
      ['http://8.8.8.8/', 'public'],
      ['http://[2606:4700::1111]/', 'public'],
    ]
    for (const [url, cls] of cases) expect(classifyHost(hostOf(url)), url).toBe(cls)
  })

  it('refuses link-local, metadata and reserved by default and allows private', () => {
    const policy = DEFAULT_UPSTREAM_ADDRESS_POLICY
    expect(hostRefusal('169.254.169.254', policy)?.addressClass).toBe('metadata')
    expect(hostRefusal('[fe80::1]', policy)?.addressClass).toBe('link_local')
    expect(hostRefusal('127.0.0.1', policy)).toBeNull()
    expect(hostRefusal('10.0.0.5', policy)).toBeNull()
    expect(hostRefusal('api.openai.com', policy)).toBeNull()
  })

  it('refuses private addresses when allowPrivateBaseUrls is false', () => {
    const policy = { allowPrivateBaseUrls: false, allowedBaseUrlHosts: [] }
    expect(hostRefusal('127.0.0.1', policy)?.addressClass).toBe('private')
    expect(hostRefusal('localhost', policy)?.addressClass).toBe('private')
    expect(hostRefusal('api.openai.com', policy)).toBeNull()
  })

  it('allows exactly what the allowlist names: a host, an address or a network', () => {
    const policy = {
      allowPrivateBaseUrls: false,
      allowedBaseUrlHosts: ['169.254.10.0/24', 'vllm.internal', '10.0.0.7'],
    }
    expect(hostRefusal('169.254.10.9', policy)).toBeNull()
    expect(hostRefusal('169.254.169.254', policy)?.addressClass).toBe('metadata')
    expect(hostRefusal('10.0.0.7', policy)).toBeNull()
    expect(hostRefusal('10.0.0.8', policy)?.addressClass).toBe('private')
    expect(
      resolvedAddressRefusal({ host: 'vllm.internal', address: '192.168.0.4' }, policy),
    ).toBeNull()
    expect(
      resolvedAddressRefusal({ host: 'other.internal', address: '192.168.0.4' }, policy)
        ?.addressClass,
    ).toBe('private')
  })

  it('judges a resolved address, and keeps a metadata name refused whatever it resolves to', () => {
    const policy = DEFAULT_UPSTREAM_ADDRESS_POLICY
    expect(
      resolvedAddressRefusal({ host: 'rebind.example', address: '169.254.169.254' }, policy)
        ?.addressClass,
    ).toBe('metadata')
    expect(
      resolvedAddressRefusal({ host: 'rebind.example', address: '::ffff:169.254.169.254' }, policy)
        ?.addressClass,
    ).toBe('metadata')
    expect(
      resolvedAddressRefusal({ host: 'metadata.google.internal', address: '10.0.0.1' }, policy)
        ?.addressClass,
    ).toBe('metadata')
    expect(
      resolvedAddressRefusal({ host: 'api.example', address: '93.184.216.34' }, policy),
    ).toBeNull()
  })

  it('parses IPv6 text forms to the same bytes', () => {
    expect(parseIPv6('::ffff:169.254.169.254')).toEqual(parseIPv6('::ffff:a9fe:a9fe'))
    expect(parseIPv6('0:0:0:0:0:ffff:a9fe:a9fe')).toEqual(parseIPv6('::ffff:a9fe:a9fe'))
    expect(parseIPv6('fe80::1%eth0')).toEqual(parseIPv6('fe80::1'))
    expect(parseIPv6('1::2::3')).toBeNull()
    expect(parseIPv6('12345::')).toBeNull()
  })

  it('checks allowlist entries', () => {
    expect(allowlistEntryProblem('10.0.0.0/8')).toBeNull()
    expect(allowlistEntryProblem('fe80::/10')).toBeNull()
    expect(allowlistEntryProblem('vllm.internal')).toBeNull()
    expect(allowlistEntryProblem('10.0.0.0/33')).not.toBeNull()
    expect(allowlistEntryProblem('http://x')).not.toBeNull()
  })
})
