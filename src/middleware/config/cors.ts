// Configuration of cors: which origins may call the route from a browser, with which methods and headers.
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';

export interface WildcardOrigin {
  /** "https:" */
  scheme: string;
  /** ".example.com" for "https://*.example.com" */
  suffix: string;
  /** ":8443", or "" for the scheme's default port */
  port: string;
}

export interface CorsConfig {
  /** "*": any origin (never together with credentials). */
  anyOrigin: boolean;
  /** Lower-cased literal origins ("https://app.example.com"). */
  origins: Set<string>;
  wildcards: WildcardOrigin[];
  /** ["*"] when any method is allowed (see anyMethod). */
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  /** allowMethods ["*"]: "*" without credentials, else the preflight's Access-Control-Request-Method echoed. */
  anyMethod: boolean;
  /** allowHeaders ["*"]: "*" without credentials, else the preflight's Access-Control-Request-Headers echoed. */
  anyHeader: boolean;
  /** exposeHeaders ["*"]: "*" without credentials, else the names of the response's own headers. */
  exposeAll: boolean;
  allowCredentials: boolean;
  maxAgeSeconds: number;
  /** 204 (ingress-nginx) or 200 (the Gateway API conformance suite expects 200 for most preflights). */
  preflightStatus: 200 | 204;
}

// ingress-nginx's defaults, which users of its cors annotations are used to.
export const DEFAULT_CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
export const DEFAULT_CORS_HEADERS = ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'];
export const DEFAULT_CORS_MAX_AGE = 1_728_000;

const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(:\d{1,5})?$/;

function readOrigins(r: ConfigReader): Pick<CorsConfig, 'anyOrigin' | 'origins' | 'wildcards'> {
  const list = r.stringList('allowOrigins', true);
  if (list === undefined) r.fail('allowOrigins', 'is required: a list of origins such as "https://app.example.com", or ["*"]');
  if (list.includes('*')) {
    if (list.length > 1) r.fail('allowOrigins', '"*" cannot be combined with other origins');
    return { anyOrigin: true, origins: new Set(), wildcards: [] };
  }
  const origins = new Set<string>();
  const wildcards: WildcardOrigin[] = [];
  list.forEach((text, i) => {
    const origin = text.trim().toLowerCase();
    const m = ORIGIN.exec(origin);
    if (!m) throw new MiddlewareConfigError(r.field(`allowOrigins[${i}]`), `${JSON.stringify(text)} is not an origin such as "https://app.example.com" or "https://*.example.com" (no path, no trailing slash)`);
    if (m[2]) wildcards.push({ scheme: `${m[1]}:`, suffix: `.${m[3]}`, port: m[4] ?? '' });
    else origins.add(origin);
  });
  return { anyOrigin: false, origins, wildcards };
}

function tokens(r: ConfigReader, key: string, fallback: string[], shape: { test: RegExp; hint: string }): string[] {
  const list = r.stringList(key);
  // "*" alone means "any" (the Gateway API's HTTPCORSFilter); mixed with names it would be ambiguous.
  if (list?.some((item) => item.trim() === '*') && list.length > 1) r.fail(key, '"*" cannot be combined with other values');
  list?.forEach((item, i) => {
    if (item.trim() !== '*' && !shape.test.test(item.trim())) throw new MiddlewareConfigError(r.field(`${key}[${i}]`), `${JSON.stringify(item)} is not ${shape.hint}`);
  });
  return list?.map((item) => item.trim()) ?? fallback;
}

export function parseCorsConfig(raw: unknown): CorsConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const origins = readOrigins(r);
  const allowMethods = tokens(r, 'allowMethods', DEFAULT_CORS_METHODS, { test: /^[A-Za-z]+$/, hint: 'an HTTP method' }).map((m) => m.toUpperCase());
  const allowHeaders = tokens(r, 'allowHeaders', DEFAULT_CORS_HEADERS, HEADER_NAME);
  const exposeHeaders = tokens(r, 'exposeHeaders', [], HEADER_NAME);
  const allowCredentials = r.boolean('allowCredentials') ?? false;
  const echoAnyOrigin = r.boolean('echoAnyOriginWithCredentials') ?? false;
  const preflightStatus = r.number('preflightStatus', { min: 200, max: 204, integer: true }) ?? 204;
  if (preflightStatus !== 200 && preflightStatus !== 204) r.fail('preflightStatus', `must be 200 or 204, got ${preflightStatus}`);
  const maxAgeSeconds = r.number('maxAgeSeconds', { min: 0, max: 2 ** 31 - 1, integer: true }) ?? DEFAULT_CORS_MAX_AGE;
  r.finish();
  // Browsers refuse "Access-Control-Allow-Origin: *" on credentialed requests; reflecting any origin
  // instead would hand every site on the web the user's cookies. Ask for an explicit list.
  // The Gateway API's HTTPCORSFilter asks for exactly that echo, so its translation opts in explicitly.
  if (origins.anyOrigin && allowCredentials && !echoAnyOrigin) r.fail('allowCredentials', 'cannot be true with allowOrigins ["*"]: list the origins that may send credentials');
  const anyMethod = allowMethods[0] === '*';
  const anyHeader = allowHeaders[0] === '*';
  const exposeAll = exposeHeaders[0] === '*';
  return { ...origins, allowMethods, allowHeaders, exposeHeaders, anyMethod, anyHeader, exposeAll, allowCredentials, maxAgeSeconds, preflightStatus };
}
