// Configuration of forward-auth: the auth service a subrequest goes to, and which headers travel each way.
import { expandNginxVariables, hasNginxVariables, NGINX_VARIABLE_NAMES, SAMPLE_REQUEST, unknownNginxVariable } from './nginx-variables.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';
import { cidrs } from './ip-filter.ts';
import type { CidrSet } from '../../lib/cidr.ts';
import { MiddlewareConfigError } from '../types.ts';

export interface ForwardAuthConfig {
  /** The auth service (for a template: the URL it makes for a sample request, checked at load). */
  url: URL;
  /** The URL with nginx variables ("http://auth/$host"), expanded per request; null: `url` as it is. */
  urlTemplate: string | null;
  /** Method of the subrequest; null sends the client's method (as Traefik's forwardAuth does). */
  method: string | null;
  /** Client headers sent to the auth service; null sends them all (hop-by-hop and body headers excepted). */
  authRequestHeaders: string[] | null;
  /** Headers of a 2xx auth answer copied onto the upstream request (replacing what the client sent). */
  authResponseHeaders: string[];
  /** On 401, redirect the client here with ?rd=<original URL> (ingress-nginx auth-signin); may use nginx variables. */
  signinUrl: string | null;
  /** signinUrl already carries signinRedirectParam: it is used as it is (ingress-nginx does not add a second one). */
  signinHasParam: boolean;
  /** The query parameter of signinUrl that carries the original URL ("rd"). */
  signinRedirectParam: string;
  /** X-Auth-Request-Redirect sent to the auth service; null sends the request's path and query (ingress-nginx). */
  requestRedirect: string | null;
  /**
   * Set-Cookie of a 2xx auth answer added to the client's answer: never; "on-success" when the upstream
   * answered 2xx or 3xx (ingress-nginx's add_header), or "always" (its auth-always-set-cookie).
   */
  passAuthCookies: 'never' | 'on-success' | 'always';
  timeoutMs: number;
  /** Clients in these CIDRs pass without asking the auth service (ingress-nginx's `satisfy any` with an allowlist). */
  allowSourceRange: CidrSet | null;
}

const METHOD = { test: /^[A-Z]+$/, hint: 'an upper-case HTTP method' };

function headerNames(r: ConfigReader, key: string): string[] | undefined {
  const list = r.stringList(key);
  list?.forEach((name, i) => {
    if (!HEADER_NAME.test.test(name)) throw new MiddlewareConfigError(r.field(`${key}[${i}]`), `${JSON.stringify(name)} is not a valid header name`);
  });
  return list;
}

/** The URL a template makes for a sample request, after checking its variables. */
function httpUrl(r: ConfigReader, key: string, text: string): URL {
  const unknown = unknownNginxVariable(text);
  if (unknown !== null) r.fail(key, `${unknown} is not one of ${NGINX_VARIABLE_NAMES}`);
  let url: URL;
  try {
    url = new URL(expandNginxVariables(text, SAMPLE_REQUEST));
  } catch {
    r.fail(key, `${JSON.stringify(text)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') r.fail(key, `must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
  return url;
}

export function parseForwardAuthConfig(raw: unknown): ForwardAuthConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const urlText = r.requiredString('url');
  const url = httpUrl(r, 'url', urlText);
  const method = r.string('method', METHOD) ?? null;
  const authRequestHeaders = headerNames(r, 'authRequestHeaders') ?? null;
  const authResponseHeaders = headerNames(r, 'authResponseHeaders') ?? [];
  const signin = r.string('signinUrl');
  if (signin !== undefined && !/^https?:\/\//.test(signin) && !signin.startsWith('/')) r.fail('signinUrl', 'must be an http(s) URL or an absolute path');
  const signinRedirectParam = r.string('signinRedirectParam', { test: /^[A-Za-z0-9_.~-]+$/, hint: 'a query parameter name' }) ?? 'rd';
  const signinSample = signin === undefined ? null : httpUrl(r, 'signinUrl', signin.startsWith('/') ? `http://h.example${signin}` : signin);
  const requestRedirect = r.string('requestRedirect', { test: /^[^\r\n\0]+$/, hint: 'a URL or path' }) ?? null;
  const timeoutMs = r.duration('timeout', 1) ?? 5_000;
  const passAuthCookies = r.oneOf('passAuthCookies', ['never', 'on-success', 'always'] as const) ?? 'never';
  const allowSourceRange = cidrs(r, 'allowSourceRange');
  r.finish();
  return {
    allowSourceRange, url, urlTemplate: hasNginxVariables(urlText) ? urlText : null, method, authRequestHeaders, authResponseHeaders,
    signinUrl: signin ?? null, signinHasParam: Boolean(signinSample?.searchParams.get(signinRedirectParam)), signinRedirectParam, requestRedirect, timeoutMs, passAuthCookies,
  };
}
