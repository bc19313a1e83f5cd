// Configuration of headers: set, add or remove request headers (before the upstream) and response
// headers (before the client).
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';

export interface HeaderEdits {
  /** Replaces any value the header had. */
  set: [string, string][];
  /** Adds a value, keeping the others. */
  add: [string, string][];
  remove: string[];
}

export interface HeadersConfig {
  request: HeaderEdits | null;
  response: HeaderEdits | null;
}

const BAD_VALUE = /[\r\n\0]/;

function pairs(r: ConfigReader, key: string): [string, string][] {
  const map = r.stringMap(key) ?? {};
  return Object.entries(map).map(([name, value]) => {
    if (!HEADER_NAME.test.test(name)) throw new MiddlewareConfigError(r.field(`${key}.${name}`), `${JSON.stringify(name)} is not a valid header name`);
    if (BAD_VALUE.test(value)) throw new MiddlewareConfigError(r.field(`${key}.${name}`), 'a header value must not contain CR, LF or NUL');
    return [name, value];
  });
}

function edits(r: ConfigReader | undefined): HeaderEdits | null {
  if (r === undefined) return null;
  const set = pairs(r, 'set');
  const add = pairs(r, 'add');
  const remove = r.stringList('remove') ?? [];
  remove.forEach((name, i) => {
    if (!HEADER_NAME.test.test(name)) throw new MiddlewareConfigError(r.field(`remove[${i}]`), `${JSON.stringify(name)} is not a valid header name`);
  });
  r.finish();
  if (set.length + add.length + remove.length === 0) return null;
  return { set, add, remove };
}

export function parseHeadersConfig(raw: unknown): HeadersConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const request = edits(r.child('request'));
  const response = edits(r.child('response'));
  r.finish();
  if (request === null && response === null) r.fail('request', 'request or response must set, add or remove at least one header');
  return { request, response };
}
