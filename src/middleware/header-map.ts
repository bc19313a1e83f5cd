// HeaderMap over the proxy's native header form: one flat array [name, value, name, value, ...] as
// llhttp and node:http2 deliver it. Nothing is copied or indexed up front: a request whose middlewares
// read two headers costs two short scans, and one that no middleware touches costs nothing. Names keep
// the case they were received or set with; lookups ignore case (ASCII only, as HTTP field names are).
import type { HeaderMap } from './types.ts';
import { sameHeaderName } from '../lib/header-name.ts';

/** Thrown when a middleware tries to set a header name or value that would break the message framing. */
export class InvalidHeaderError extends Error {
  readonly header: string;
  constructor(header: string, why: string) {
    super(`invalid header ${JSON.stringify(header)}: ${why}`);
    this.name = 'InvalidHeaderError';
    this.header = header;
  }
}

// RFC 9110 token characters for names; values may hold anything but CR, LF and NUL.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

export function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new InvalidHeaderError(name, 'a header name must be a non-empty token');
  if (FORBIDDEN_IN_VALUE.test(value)) throw new InvalidHeaderError(name, 'a header value must not contain CR, LF or NUL');
}

export class FlatHeaderMap implements HeaderMap {
  /** The flat [name, value, ...] array, shared with the proxy, which serializes it as it is. */
  readonly raw: string[];
  /** True once a middleware changed a header; the proxy may reuse the received bytes when false. */
  modified = false;

  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  static fromRecord(record: Record<string, string>): FlatHeaderMap {
    const raw: string[] = [];
    for (const name of Object.keys(record)) {
      checkHeader(name, record[name]!);
      raw.push(name, record[name]!);
    }
    return new FlatHeaderMap(raw);
  }

  private indexOf(lower: string, from = 0): number {
    const raw = this.raw;
    for (let i = from; i < raw.length; i += 2) if (sameHeaderName(raw[i]!, lower)) return i;
    return -1;
  }

  /** The value; repeated headers are joined with ", " (as fetch's Headers.get does). */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const first = this.indexOf(lower);
    if (first < 0) return undefined;
    const next = this.indexOf(lower, first + 2);
    return next < 0 ? this.raw[first + 1] : this.getAll(name).join(', ');
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const values: string[] = [];
    for (let i = this.indexOf(lower); i >= 0; i = this.indexOf(lower, i + 2)) values.push(this.raw[i + 1]!);
    return values;
  }

  has(name: string): boolean {
    return this.indexOf(name.toLowerCase()) >= 0;
  }

  /** Replaces the first occurrence in place (keeping its position) and removes the others. */
  set(name: string, value: string): void {
    checkHeader(name, value);
    const lower = name.toLowerCase();
    const first = this.indexOf(lower);
    this.modified = true;
    if (first < 0) {
      this.raw.push(name, value);
      return;
    }
    this.raw[first] = name;
    this.raw[first + 1] = value;
    this.removeFrom(lower, first + 2);
  }

  append(name: string, value: string): void {
    checkHeader(name, value);
    this.modified = true;
    this.raw.push(name, value);
  }

  delete(name: string): void {
    this.removeFrom(name.toLowerCase(), 0);
  }

  /** Removes every occurrence at or after `from`, compacting the array in one pass. */
  private removeFrom(lower: string, from: number): void {
    const raw = this.raw;
    let write = this.indexOf(lower, from);
    if (write < 0) return;
    this.modified = true;
    for (let read = write + 2; read < raw.length; read += 2) {
      if (sameHeaderName(raw[read]!, lower)) continue;
      raw[write] = raw[read]!;
      raw[write + 1] = raw[read + 1]!;
      write += 2;
    }
    raw.length = write;
  }

  *entries(): IterableIterator<[string, string]> {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) yield [raw[i]!, raw[i + 1]!];
  }
}
