// Configuration of url-mirror: a copy of each request goes to a URL, its answer ignored (ingress-nginx's
// mirror-target). The URL may use nginx's variables (nginx-variables.ts).
import { expandNginxVariables, NGINX_VARIABLE_NAMES, SAMPLE_REQUEST, unknownNginxVariable } from './nginx-variables.ts';
import { ConfigReader } from './read.ts';

export interface UrlMirrorConfig {
  /** URL template; variables are replaced per request. */
  url: string;
  /** Host header of the copy; null keeps the client's. */
  host: string | null;
  timeoutMs: number;
  /** Whether the copy carries the request's body (ingress-nginx's mirror-request-body, "on" by default). */
  body: boolean;
}

export function parseUrlMirrorConfig(raw: unknown): UrlMirrorConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const url = r.requiredString('url');
  const unknown = unknownNginxVariable(url);
  if (unknown !== null) r.fail('url', `${unknown} is not one of ${NGINX_VARIABLE_NAMES}`);
  let parsed: URL | null = null;
  try {
    parsed = new URL(expandNginxVariables(url, SAMPLE_REQUEST));
  } catch {
    // reported below
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) r.fail('url', `must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  const host = r.string('host', { test: /^[A-Za-z0-9.-]+(:\d{1,5})?$/, hint: 'a host name' }) ?? null;
  const timeoutMs = r.duration('timeout', 1) ?? 5_000;
  const body = r.boolean('body') ?? true;
  r.finish();
  return { url, host, timeoutMs, body };
}
