// Host lookups without allocating on the request path. A Host header usually needs trimming first
// (":8080", a trailing dot) and sometimes lower-casing, and a wildcard lookup needs the suffix after
// the first label; with a Map<string> each of those would cost a new string per request. Instead
// the index hashes a character range of the header in place (lower-casing ASCII on the fly) and
// compares candidates in place. A clone shares its buckets with the original until either changes one
// (set and delete replace a bucket, never edit it), so a patched route table costs the hosts it changes.

export interface HostEntry<V> {
  /** Lower-case host this entry answers for. */
  readonly host: string;
  readonly value: V;
}

const UPPER_A = 65;
const UPPER_Z = 90;
const DOT = 46;
const OPEN_BRACKET = 91;

function lowerCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= UPPER_A && c <= UPPER_Z ? c + 32 : c;
}

/** FNV-1a over text[start, end), lower-cased, kept within 30 bits so the Map key is a small integer. */
function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ lowerCode(text, i), 0x01000193);
  return h & 0x3fffffff;
}

function equalsRange(host: string, text: string, start: number, end: number): boolean {
  if (host.length !== end - start) return false;
  for (let i = 0; i < host.length; i++) if (host.charCodeAt(i) !== lowerCode(text, start + i)) return false;
  return true;
}

export class HostIndex<V> {
  private readonly buckets: Map<number, readonly HostEntry<V>[]>;
  private count: number;

  /** An empty index (the arguments are clone()'s). */
  constructor(buckets?: ReadonlyMap<number, readonly HostEntry<V>[]>, count = 0) {
    this.buckets = new Map(buckets);
    this.count = count;
  }

  get size(): number {
    return this.count;
  }

  /** Every value; compile-time use. */
  *values(): IterableIterator<V> {
    for (const bucket of this.buckets.values()) for (const entry of bucket) yield entry.value;
  }

  /** The value for a host, or undefined; compile-time use (the host need not be lower-case). */
  get(host: string): V | undefined {
    return this.getRange(host, 0, host.length);
  }

  set(host: string, value: V): void {
    const lower = host.toLowerCase();
    const hash = hashRange(lower, 0, lower.length);
    const bucket = this.buckets.get(hash) ?? [];
    const others = bucket.filter((entry) => entry.host !== lower);
    if (others.length === bucket.length) this.count++;
    others.push({ host: lower, value });
    this.buckets.set(hash, others);
  }

  delete(host: string): void {
    const lower = host.toLowerCase();
    const hash = hashRange(lower, 0, lower.length);
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) return;
    const others = bucket.filter((entry) => entry.host !== lower);
    if (others.length === bucket.length) return;
    this.count--;
    if (others.length === 0) this.buckets.delete(hash);
    else this.buckets.set(hash, others);
  }

  /** A copy that changes independently of this index (buckets are shared until replaced). */
  clone(): HostIndex<V> {
    return new HostIndex<V>(this.buckets, this.count);
  }

  /** The value for text[start, end) compared case-insensitively, or undefined. Does not allocate. */
  getRange(text: string, start: number, end: number): V | undefined {
    const bucket = this.buckets.get(hashRange(text, start, end));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const entry = bucket[i]!;
      if (equalsRange(entry.host, text, start, end)) return entry.value;
    }
    return undefined;
  }
}

/**
 * Where the host name in a Host header (or :authority) ends: before ":port", after "]" of an IPv6
 * literal, and before one trailing dot ("example.com." is the same name, and nginx drops the dot too).
 */
export function hostNameEnd(header: string): number {
  let end = header.length;
  if (header.charCodeAt(0) === OPEN_BRACKET) {
    const close = header.indexOf(']');
    if (close > 0) end = close + 1;
  } else {
    const colon = header.indexOf(':');
    if (colon >= 0) end = colon;
  }
  if (end > 0 && header.charCodeAt(end - 1) === DOT) end--;
  return end;
}
