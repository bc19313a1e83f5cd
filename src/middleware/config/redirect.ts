// Configuration of redirect: answers with a Location instead of calling the upstream. Three forms:
// a fixed url; a regex over the full request URL ("https://host/path?query") with a replacement; or
// parts of the URL to change (scheme, host, port, path), which redirects only when something changes.
import { ConfigReader } from './read.ts';
import { compileUserRegex } from './regex.ts';

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;
export const REDIRECT_STATUSES: readonly RedirectStatus[] = [301, 302, 303, 307, 308];

export type RedirectTarget =
  | { kind: 'url'; url: string }
  | { kind: 'regex'; regex: RegExp; replacement: string }
  | { kind: 'parts'; scheme: 'http' | 'https' | null; host: string | null; port: string | null; path: string | null };

export interface RedirectConfig {
  statusCode: RedirectStatus;
  target: RedirectTarget;
}

const HOST = { test: /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, hint: 'a host name' };

export function parseRedirectConfig(raw: unknown): RedirectConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const statusCode = (r.number('statusCode', { integer: true }) ?? 302) as RedirectStatus;
  if (!REDIRECT_STATUSES.includes(statusCode)) r.fail('statusCode', `must be one of ${REDIRECT_STATUSES.join(', ')}, got ${statusCode}`);
  const url = r.string('url', { test: /^(https?:\/\/[^\s]+|\/[^\s]*)$/, hint: 'an http(s) URL or an absolute path' });
  const regex = r.string('regex');
  const replacement = r.string('replacement');
  const scheme = r.oneOf('scheme', ['http', 'https'] as const) ?? null;
  const host = r.string('host', HOST) ?? null;
  const portValue = r.raw('port');
  let port: string | null = null;
  if (portValue !== undefined) {
    port = typeof portValue === 'number' ? String(portValue) : typeof portValue === 'string' ? portValue : '';
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) r.fail('port', `must be a port number from 1 to 65535, got ${JSON.stringify(portValue)}`);
  }
  const path = r.string('path', { test: /^\/[^\s?#]*$/, hint: 'an absolute path without query' }) ?? null;
  r.finish();
  const hasParts = scheme !== null || host !== null || port !== null || path !== null;
  const forms = [url !== undefined, regex !== undefined, hasParts].filter(Boolean).length;
  if (forms !== 1) r.fail('url', 'set exactly one of: url; regex with replacement; or scheme/host/port/path');
  if (url !== undefined) return { statusCode, target: { kind: 'url', url } };
  if (regex !== undefined) {
    if (replacement === undefined) r.fail('replacement', 'is required with regex');
    return { statusCode, target: { kind: 'regex', regex: compileUserRegex(r, 'regex', regex), replacement } };
  }
  if (replacement !== undefined) r.fail('replacement', 'is only used with regex');
  return { statusCode, target: { kind: 'parts', scheme, host, port, path } };
}
