/**
 * IP address parsing for the upstream address guard. Pure. Only canonical forms are parsed
 * here: dotted-decimal IPv4 and RFC 4291 IPv6 text. Decimal, octal and hex IPv4 spellings in a
 * URL (`http://2852039166/`, `http://0251.0376.0251.0376/`, `http://0xa9fea9fe/`) are turned
 * into dotted decimal by the WHATWG URL parser before they get here, and that is also what
 * undici connects to, so the guard sees what the socket will see.
 */

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export type IpBytes = readonly number[]

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** The 4 bytes of a dotted-decimal IPv4 address, or null. */
export function parseIPv4(text: string): IpBytes | null {
  if (!IPV4.test(text)) return null
  return text.split('.').map(Number)
}

/** The 16 bytes of an IPv6 address (brackets and a zone id allowed), or null. */
export function parseIPv6(input: string): IpBytes | null {
  let text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  if (!text.includes(':')) return null
  // An embedded IPv4 tail (`::ffff:169.254.169.254`) becomes two groups.
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  let tailGroups: number[] = []
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail)
    if (v4 === null) return null
    tailGroups = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!]
    // Drop the tail, keeping "::" when it ended the groups (`::ffff:` → `::ffff`, `::` stays).
    const groupsPart = text.slice(0, lastColon + 1)
    text = groupsPart.endsWith('::') ? groupsPart : groupsPart.slice(0, -1)
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return []
    const groups: number[] = []
    for (const group of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null
      groups.push(parseInt(group, 16))
    }
    return groups
  }
  const head = parseGroups(halves[0]!)
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : []
  if (head === null || rest === null) return null
  const explicit = head.length + rest.length + tailGroups.length
  let groups: number[]
  if (halves.length === 2) {
    if (explicit > 7) return null
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tailGroups]
  } else {
    if (explicit !== 8) return null
    groups = [...head, ...tailGroups]
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff])
}

/** The bytes of an IPv4 or IPv6 literal, or null when the text is not an IP address. */
export function parseIp(text: string): IpBytes | null {
  return parseIPv4(text) ?? parseIPv6(text)
}

/** Is `address` inside `network/prefixLength` (same family)? */
export function inSubnet(
  address: IpBytes,
  subnet: { network: IpBytes; prefixLength: number },
): boolean {
  if (address.length !== subnet.network.length) return false
  let bits = subnet.prefixLength
  for (let i = 0; i < address.length && bits > 0; i += 1) {
    const take = Math.min(8, bits)
    const mask = (0xff << (8 - take)) & 0xff
    if ((address[i]! & mask) !== (subnet.network[i]! & mask)) return false
    bits -= take
  }
  return true
}

/** `10.0.0.0/8`, `fe80::/10` or a bare address (a /32 or /128); null when unreadable. */
export function parseCidr(text: string): { network: IpBytes; prefixLength: number } | null {
  const slash = text.indexOf('/')
  const network = parseIp(slash === -1 ? text : text.slice(0, slash))
  if (network === null) return null
  const max = network.length * 8
  if (slash === -1) return { network, prefixLength: max }
  const suffix = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(suffix)) return null
  const prefixLength = Number(suffix)
  return prefixLength <= max ? { network, prefixLength } : null
}
