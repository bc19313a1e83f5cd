// Configuration of url-mirror: a copy of each request goes to a URL, its answer ignored (ingress-nginx's
// mirror-target). The URL may use nginx's $request_uri, $uri, $args, $host and $scheme.
import { ConfigReader } from './read.ts';

export interface UrlMirrorConfig {
  /** URL template; variables are replaced per request. */
  url: string;
  /** Host header of the copy; null keeps the client's. */
  host: string | null;
  timeoutMs: number;
}

type Variable = '$request_uri' | '$uri' | '$args' | '$host' | '$scheme';
const VARIABLES = /\$(request_uri|uri|args|host|scheme)\b/g;

/** The template with each variable replaced by `values[variable]`. */
export function expandMirrorUrl(template: string, values: Record<Variable, string>): string {
  return template.replace(VARIABLES, (variable) => values[variable as Variable]);
}

export function parseUrlMirrorConfig(raw: unknown): UrlMirrorConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const url = r.requiredString('url');
  const unknown = url.replace(VARIABLES, '').match(/\$[A-Za-z_]+/);
  if (unknown) r.fail('url', `${unknown[0]} is not one of $request_uri, $uri, $args, $host, $scheme`);
  let parsed: URL | null = null;
  try {
    parsed = new URL(expandMirrorUrl(url, { $request_uri: '/p?q', $uri: '/p', $args: 'q', $host: 'h.example', $scheme: 'http' }));
  } catch {
    // reported below
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) r.fail('url', `must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  const host = r.string('host', { test: /^[A-Za-z0-9.-]+(:\d{1,5})?$/, hint: 'a host name' }) ?? null;
  const timeoutMs = r.duration('timeout', 1) ?? 5_000;
  r.finish();
  return { url, host, timeoutMs };
}
