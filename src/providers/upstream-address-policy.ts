import { inSubnet, parseCidr, parseIp, type IpBytes } from './ip-address.js'

/**
 * The server-side request forgery guard for provider base URLs (docs/adr/0004-upstream-address-
 * guard.md). Pure: it classifies a host or an address and says whether Ferry may connect to it.
 * It runs when an admin saves a base URL (a 400 naming `baseUrl`), when the configuration is
 * loaded, and again on every connection, on the address DNS actually returned (DNS rebinding).
 *
 * - `public`: allowed.
 * - `private` (loopback, RFC 1918, CGNAT, IPv6 unique-local, `localhost`): allowed unless
 *   `providers.allowPrivateBaseUrls` is false: self-hosted vLLM and Ollama live there.
 * - `link_local`, `metadata` (cloud instance metadata), `reserved` (unspecified, multicast,
 *   broadcast, 240/4): always refused, unless `providers.allowedBaseUrlHosts` names the host or
 *   a network containing the address.
 */
export const ADDRESS_CLASSES = ['public', 'private', 'link_local', 'metadata', 'reserved'] as const
export type AddressClass = (typeof ADDRESS_CLASSES)[number]

/** What the operator allowed (the `providers` config section). */
export interface UpstreamAddressPolicy {
  /** Loopback, RFC 1918, CGNAT and unique-local addresses. @default true */
  allowPrivateBaseUrls: boolean
  /** Hostnames, addresses or CIDR networks allowed whatever their class. @default [] */
  allowedBaseUrlHosts: readonly string[]
}

export const DEFAULT_UPSTREAM_ADDRESS_POLICY: UpstreamAddressPolicy = Object.freeze({
  allowPrivateBaseUrls: true,
  allowedBaseUrlHosts: Object.freeze([]),
})

/** Error code of a connection the guard refused; classified as `address_forbidden`. */
export const ADDRESS_FORBIDDEN_CODE = 'FERRY_UPSTREAM_ADDRESS_FORBIDDEN'

type Subnet = { network: IpBytes; prefixLength: number }
const net = (cidr: string): Subnet => parseCidr(cidr)!

/** Most specific first: a metadata address inside a link-local or private range wins. */
const IPV4_RANGES: readonly [Subnet, AddressClass][] = [
  [net('169.254.169.254/32'), 'metadata'], // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
  [net('169.254.170.2/32'), 'metadata'], // AWS ECS task credentials
  [net('100.100.100.200/32'), 'metadata'], // Alibaba Cloud
  [net('0.0.0.0/8'), 'reserved'], // "this network": 0.0.0.0 reaches the local host on Linux
  [net('169.254.0.0/16'), 'link_local'],
  [net('224.0.0.0/4'), 'reserved'], // multicast
  [net('240.0.0.0/4'), 'reserved'], // reserved, and 255.255.255.255 broadcast
  [net('127.0.0.0/8'), 'private'],
  [net('10.0.0.0/8'), 'private'],
  [net('172.16.0.0/12'), 'private'],
  [net('192.168.0.0/16'), 'private'],
  [net('100.64.0.0/10'), 'private'], // carrier-grade NAT, also used inside clusters
  [net('198.18.0.0/15'), 'private'], // benchmarking
]

const IPV6_RANGES: readonly [Subnet, AddressClass][] = [
  [net('fd00:ec2::254/128'), 'metadata'], // AWS IMDS over IPv6
  [net('::/128'), 'reserved'],
  [net('::1/128'), 'private'],
  [net('fe80::/10'), 'link_local'],
  [net('ff00::/8'), 'reserved'], // multicast
  [net('fec0::/10'), 'private'], // deprecated site-local
  [net('fc00::/7'), 'private'], // unique local
]

/** IPv6 forms that carry an IPv4 address, judged by the IPv4 address they reach. */
const EMBEDDED_IPV4: readonly { subnet: Subnet; offset: number }[] = [
  { subnet: net('::ffff:0:0/96'), offset: 12 }, // IPv4-mapped
  { subnet: net('::/96'), offset: 12 }, // deprecated IPv4-compatible
  { subnet: net('64:ff9b::/96'), offset: 12 }, // NAT64
  { subnet: net('64:ff9b:1::/48'), offset: 12 }, // local-use NAT64
  { subnet: net('2002::/16'), offset: 2 }, // 6to4
]

/** Names of instance-metadata services (resolved only inside their cloud). */
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
])

/** Lower case, no brackets, no trailing dot: how hosts are compared. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase().replace(/\.+$/, '')
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower
}

/** The class of an IP address (bytes). */
export function classifyAddress(address: IpBytes): AddressClass {
  if (address.length === 16) {
    for (const [subnet, cls] of IPV6_RANGES) if (inSubnet(address, subnet)) return cls
    for (const { subnet, offset } of EMBEDDED_IPV4) {
      if (inSubnet(address, subnet)) return classifyAddress(address.slice(offset, offset + 4))
    }
    return 'public'
  }
  for (const [subnet, cls] of IPV4_RANGES) if (inSubnet(address, subnet)) return cls
  return 'public'
}

/**
 * The class of a URL host before any DNS lookup: an IP literal by its address, a metadata
 * service name as `metadata`, `localhost` as `private`, any other name as `public` (its
 * addresses are checked again when Ferry connects).
 */
export function classifyHost(host: string): AddressClass {
  const name = normalizeHost(host)
  const ip = parseIp(name)
  if (ip !== null) return classifyAddress(ip)
  if (METADATA_HOSTNAMES.has(name)) return 'metadata'
  if (name === 'localhost' || name.endsWith('.localhost')) return 'private'
  return 'public'
}

/** A refusal, worded for an admin: what kind of address, and which option would allow it. */
export interface AddressRefusal {
  addressClass: Exclude<AddressClass, 'public'>
  message: string
}

const REFUSAL_TEXT: Record<Exclude<AddressClass, 'public'>, string> = {
  private: 'points at a private or loopback address, and providers.allowPrivateBaseUrls is false',
  link_local:
    'points at a link-local address (169.254.0.0/16, fe80::/10); list it in providers.allowedBaseUrlHosts to allow it',
  metadata:
    'points at a cloud instance metadata service; list it in providers.allowedBaseUrlHosts to allow it',
  reserved:
    'points at an unspecified, multicast, broadcast or reserved address; list it in providers.allowedBaseUrlHosts to allow it',
}

function isListed(policy: UpstreamAddressPolicy, target: { host?: string; address?: IpBytes }) {
  for (const entry of policy.allowedBaseUrlHosts) {
    const normalized = normalizeHost(entry)
    const cidr = parseCidr(normalized)
    if (cidr === null) {
      if (target.host !== undefined && normalized === target.host) return true
    } else {
      const address = target.address ?? (target.host ? parseIp(target.host) : null)
      if (address && inSubnet(address, cidr)) return true
    }
  }
  return false
}

function judge(cls: AddressClass, policy: UpstreamAddressPolicy): AddressRefusal | null {
  if (cls === 'public' || (cls === 'private' && policy.allowPrivateBaseUrls)) return null
  return { addressClass: cls, message: REFUSAL_TEXT[cls] }
}

/** Why Ferry may not send requests to this URL host, or null when it may. */
export function hostRefusal(host: string, policy: UpstreamAddressPolicy): AddressRefusal | null {
  const name = normalizeHost(host)
  if (isListed(policy, { host: name })) return null
  return judge(classifyHost(name), policy)
}

/**
 * Why Ferry may not connect to `address`, which DNS gave for `host`, or null when it may. A
 * listed host allows whatever it resolves to; otherwise the address itself is judged.
 */
export function resolvedAddressRefusal(
  resolved: { host: string; address: string },
  policy: UpstreamAddressPolicy,
): AddressRefusal | null {
  const host = normalizeHost(resolved.host)
  const bytes = parseIp(normalizeHost(resolved.address))
  // Not an address we can read: refuse rather than guess.
  if (bytes === null) return { addressClass: 'reserved', message: REFUSAL_TEXT.reserved }
  if (isListed(policy, { host, address: bytes })) return null
  const byName = classifyHost(host)
  // A metadata service name stays refused even where DNS returns something harmless-looking.
  if (byName === 'metadata') return judge(byName, policy)
  return judge(classifyAddress(bytes), policy)
}

/** Why an allowlist entry is unreadable, or null: hostnames, addresses and CIDRs only. */
export function allowlistEntryProblem(entry: string): string | null {
  const normalized = normalizeHost(entry)
  if (normalized.includes('/'))
    return parseCidr(normalized) === null ? 'is not a valid CIDR network' : null
  if (parseIp(normalized) !== null) return null
  return /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(normalized)
    ? null
    : 'must be a hostname, an IP address or a CIDR network (10.0.0.0/8)'
}
