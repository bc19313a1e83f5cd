// Configuration of affinity: cookie-based session affinity (the cookie names the endpoint to prefer).
import { ConfigReader } from './read.ts';

export interface AffinityConfig {
  cookieName: string;
  path: string;
  domain: string | null;
  /** null: a session cookie. */
  maxAgeSeconds: number | null;
  /** null: Secure when the client came over https. */
  secure: boolean | null;
  sameSite: 'Strict' | 'Lax' | 'None' | null;
  httpOnly: boolean;
}

export function parseAffinityConfig(raw: unknown): AffinityConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const cookieName = r.string('cookieName', { test: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, hint: 'a valid cookie name' }) ?? 'tideway-affinity';
  const path = r.string('path', { test: /^\/[^\s;,]*$/, hint: 'an absolute path without ";" or ","' }) ?? '/';
  const domain = r.string('domain', { test: /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, hint: 'a domain' }) ?? null;
  const maxAgeMs = r.duration('maxAge', 1000);
  const secure = r.boolean('secure') ?? null;
  const sameSite = r.oneOf('sameSite', ['Strict', 'Lax', 'None'] as const) ?? null;
  const httpOnly = r.boolean('httpOnly') ?? true;
  r.finish();
  if (sameSite === 'None' && secure === false) r.fail('sameSite', 'SameSite=None needs secure: browsers drop such cookies otherwise');
  return { cookieName, path, domain, maxAgeSeconds: maxAgeMs === undefined ? null : Math.floor(maxAgeMs / 1000), secure, sameSite, httpOnly };
}
