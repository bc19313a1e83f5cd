// Configuration of proxy-rewrite: the upstream's Location header and Set-Cookie Path and Domain
// attributes rewritten on the way to the client (nginx's proxy_redirect, proxy_cookie_path and
// proxy_cookie_domain, which ingress-nginx's proxy-redirect-*, proxy-cookie-* annotations set).
import { ConfigReader } from './read.ts';

export interface Replacement {
  from: string;
  to: string;
}

export interface ProxyRewriteConfig {
  /** A Location starting with `from` gets `to` in its place. */
  location: Replacement | null;
  /** A cookie Path starting with `from` gets `to` in its place. */
  cookiePath: Replacement | null;
  /** A cookie Domain equal to `from` (case-insensitive, leading dot ignored) becomes `to`. */
  cookieDomain: Replacement | null;
}

const NO_CONTROL = /^[^\r\n\0;]*$/;

function replacement(r: ConfigReader, key: string): Replacement | null {
  const child = r.child(key);
  if (child === undefined) return null;
  const from = child.requiredString('from', { test: /^[^\r\n\0;\s]+$/, hint: 'a non-empty value without spaces, ";" or line breaks' });
  const to = child.string('to', { test: NO_CONTROL, hint: 'a value without ";" or line breaks' }) ?? '';
  child.finish();
  return { from, to };
}

export function parseProxyRewriteConfig(raw: unknown): ProxyRewriteConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const location = replacement(r, 'location');
  const cookiePath = replacement(r, 'cookiePath');
  const cookieDomain = replacement(r, 'cookieDomain');
  r.finish();
  if (location === null && cookiePath === null && cookieDomain === null) r.fail('location', 'location, cookiePath or cookieDomain is required');
  return { location, cookiePath, cookieDomain };
}
