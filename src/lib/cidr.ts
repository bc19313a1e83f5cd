// CIDR sets for IPv4 and IPv6 (trusted proxies, IP allow/deny lists). Parsed once at configuration
// time into numeric ranges, so a lookup on the request path is a few integer comparisons with no
// regex. IPv4-mapped IPv6 addresses (::ffff:1.2.3.4, as Node reports IPv4 clients on dual-stack
// sockets) are matched as IPv4.
import { isIPv4, isIPv6 } from 'node:net';

export class CidrParseError extends Error {
  readonly input: string;
  constructor(input: string, why: string) {
    super(`invalid CIDR "${input}": ${why}`);
    this.name = 'CidrParseError';
    this.input = input;
  }
}

interface Range4 { start: number; end: number }
interface Range6 { start: bigint; end: bigint }

function ipv4ToNumber(ip: string): number {
  let value = 0;
  let part = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      value = value * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return value >>> 0;
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4ToNumber(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<string>(missing).fill('0'), ...restGroups];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return value;
}

const V4_MAPPED_PREFIX = '::ffff:';

export class CidrSet {
  private readonly v4: Range4[] = [];
  private readonly v6: Range6[] = [];
  /** The CIDRs as written, for diagnostics and the admin API. */
  readonly sources: readonly string[];

  /** Parses comma-separated or listed CIDRs; a bare address is a /32 or /128. Throws CidrParseError. */
  constructor(cidrs: readonly string[]) {
    const sources: string[] = [];
    for (const raw of cidrs) {
      const text = raw.trim();
      if (!text) continue;
      sources.push(text);
      const slash = text.indexOf('/');
      const address = slash >= 0 ? text.slice(0, slash) : text;
      const bitsText = slash >= 0 ? text.slice(slash + 1) : undefined;
      if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) throw new CidrParseError(text, 'prefix length is not a number');
      if (isIPv4(address)) {
        const bits = bitsText === undefined ? 32 : Number(bitsText);
        if (bits > 32) throw new CidrParseError(text, 'IPv4 prefix length above 32');
        const base = ipv4ToNumber(address);
        const size = 2 ** (32 - bits);
        const start = Math.floor(base / size) * size;
        this.v4.push({ start, end: start + size - 1 });
      } else if (isIPv6(address)) {
        const bits = bitsText === undefined ? 128 : Number(bitsText);
        if (bits > 128) throw new CidrParseError(text, 'IPv6 prefix length above 128');
        const hostBits = BigInt(128 - bits);
        const start = (ipv6ToBigInt(address) >> hostBits) << hostBits;
        this.v6.push({ start, end: start + (1n << hostBits) - 1n });
      } else {
        throw new CidrParseError(text, 'not an IPv4 or IPv6 address');
      }
    }
    this.sources = sources;
  }

  static parseList(text: string): CidrSet {
    return new CidrSet(text.split(','));
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** True when the address (as Node reports remoteAddress) lies in one of the ranges. */
  contains(address: string | undefined): boolean {
    if (!address) return false;
    if (address.startsWith(V4_MAPPED_PREFIX) && address.includes('.')) address = address.slice(V4_MAPPED_PREFIX.length);
    if (address.includes(':')) {
      if (this.v6.length === 0) return false;
      const value = ipv6ToBigInt(address);
      for (const r of this.v6) if (value >= r.start && value <= r.end) return true;
      return false;
    }
    if (this.v4.length === 0) return false;
    const value = ipv4ToNumber(address);
    for (const r of this.v4) if (value >= r.start && value <= r.end) return true;
    return false;
  }
}
