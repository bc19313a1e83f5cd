// Configuration of upstream-hash: the key whose hash picks the endpoint of each request (ingress-nginx's
// upstream-hash-by), written with nginx's variables: "$request_uri", "$remote_addr", "$http_x_user",
// "$cookie_session", "$arg_id", "$host$uri"... Parsed once into literal text and variable readers.
import { NGINX_VARIABLE_NAMES } from './nginx-variables.ts';
import { ConfigReader } from './read.ts';

/** One piece of the key: literal text, or a variable with its parameter ($http_<name> -> ["http", "name"]). */
export type KeyPart = { text: string } | { variable: 'request_uri' | 'escaped_request_uri' | 'uri' | 'args' | 'host' | 'scheme' | 'remote_addr' } | { variable: 'http' | 'cookie' | 'arg'; name: string };

export interface UpstreamHashConfig {
  parts: KeyPart[];
}

const VARIABLE = /\$(?:\{)?([A-Za-z_][A-Za-z0-9_]*)(?:\})?/g;
const PLAIN = new Set(['request_uri', 'escaped_request_uri', 'uri', 'args', 'host', 'scheme', 'remote_addr', 'binary_remote_addr']);
const PREFIXED = ['http', 'cookie', 'arg'] as const;

export function parseUpstreamHashConfig(raw: unknown): UpstreamHashConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const key = r.requiredString('key');
  r.finish();
  const parts: KeyPart[] = [];
  let last = 0;
  for (const match of key.matchAll(VARIABLE)) {
    if (match.index > last) parts.push({ text: key.slice(last, match.index) });
    last = match.index + match[0].length;
    const name = match[1]!;
    if (PLAIN.has(name)) {
      // $binary_remote_addr hashes like $remote_addr: only equality of keys matters.
      parts.push({ variable: name === 'binary_remote_addr' ? 'remote_addr' : name as 'request_uri' });
      continue;
    }
    const prefix = PREFIXED.find((p) => name.startsWith(`${p}_`) && name.length > p.length + 1);
    if (prefix === undefined) r.fail('key', `$${name} is not one of ${NGINX_VARIABLE_NAMES}, $remote_addr, $http_<header>, $cookie_<name>, $arg_<name>`);
    const rest = name.slice(prefix.length + 1);
    // nginx's $http_x_user_id is the header X-User-Id.
    parts.push({ variable: prefix, name: prefix === 'http' ? rest.replaceAll('_', '-').toLowerCase() : rest });
  }
  if (last < key.length) parts.push({ text: key.slice(last) });
  if (!parts.some((p) => 'variable' in p)) r.fail('key', `${JSON.stringify(key)} has no variable: every request would go to the same endpoint`);
  return { parts };
}
