// HTTPRoute and GRPCRoute filters -> middlewares of the existing layer. Each filter becomes one
// MiddlewareSpec, in the order written. A filter Tideway cannot honour is never skipped silently: the
// requests it would have processed are answered 500 (the spec's rule for unresolvable filters), so that
// nothing is served without the headers, redirect or rewrite the user asked for.
import { BUILTIN_CONFIG_PARSERS } from '../../middleware/config/index.ts';
import type { MiddlewareSpec } from '../../routing/spec.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { arrayField, field, isRecord, stringField } from '../shape.ts';

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const BAD_VALUE = /[\r\n\0]/;
const SCHEMES = ['http', 'https'];
const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** What filters look up in the cluster: Tideway Middleware objects, and mirror targets' endpoints. */
export interface FilterContext {
  /** The MiddlewareSpec of Middleware `name` of the route's namespace, or null (reported at `at`). */
  extensionRef(name: string, at: string): MiddlewareSpec | null;
  /** The endpoints ("ip:port") of a mirror's backendRef, or null when it cannot be resolved (reported). */
  mirrorEndpoints(ref: unknown, at: string): string[] | null;
}

export interface FilterResult {
  middlewares: MiddlewareSpec[];
  /** A filter answers every request itself (RequestRedirect): no backend is needed. */
  answers: boolean;
  /** A filter could not be honoured: every request of the rule is answered 500. */
  failed: boolean;
}

function headerEdits(raw: unknown, at: string, diag: ObjectDiagnostics): Record<string, unknown> | null {
  const pairs = (key: string): Record<string, string> | null => {
    const out: Record<string, string> = {};
    for (const [i, entry] of arrayField(raw, key).entries()) {
      const name = stringField(entry, 'name');
      const value = stringField(entry, 'value');
      if (name === undefined || !HEADER_NAME.test(name) || value === undefined || BAD_VALUE.test(value)) {
        diag.error(`${at}.${key}[${i}]`, 'UnsupportedValue', `invalid header ${JSON.stringify(name)} with value ${JSON.stringify(value)}`);
        return null;
      }
      out[name] = value;
    }
    return out;
  };
  const set = pairs('set');
  const add = pairs('add');
  const remove = arrayField(raw, 'remove');
  if (set === null || add === null) return null;
  if (!remove.every((n) => typeof n === 'string' && HEADER_NAME.test(n))) {
    diag.error(`${at}.remove`, 'UnsupportedValue', 'remove must list valid header names');
    return null;
  }
  return { set, add, remove };
}

function pathModifier(raw: unknown, at: string, matchedPrefix: string | null, diag: ObjectDiagnostics): Record<string, unknown> | null | undefined {
  if (raw === undefined || raw === null) return undefined;
  const type = field(raw, 'type');
  if (type === 'ReplaceFullPath') {
    const value = stringField(raw, 'replaceFullPath');
    if (value === undefined || !value.startsWith('/')) {
      diag.error(`${at}.replaceFullPath`, 'UnsupportedValue', 'replaceFullPath must be an absolute path');
      return null;
    }
    return { type, value };
  }
  if (type === 'ReplacePrefixMatch') {
    const value = stringField(raw, 'replacePrefixMatch');
    if (value === undefined || !value.startsWith('/')) {
      diag.error(`${at}.replacePrefixMatch`, 'UnsupportedValue', 'replacePrefixMatch must be an absolute path');
      return null;
    }
    if (matchedPrefix === null) {
      diag.error(`${at}.type`, 'UnsupportedValue', 'ReplacePrefixMatch needs a PathPrefix match');
      return null;
    }
    return { type, value, prefix: matchedPrefix };
  }
  diag.error(`${at}.type`, 'UnsupportedValue', `path modifier type ${JSON.stringify(type)} is not supported (ReplaceFullPath, ReplacePrefixMatch)`);
  return null;
}

function redirect(raw: unknown, at: string, matchedPrefix: string | null, diag: ObjectDiagnostics): MiddlewareSpec['config'] | null {
  const config: Record<string, unknown> = {};
  const scheme = field(raw, 'scheme');
  if (scheme !== undefined && scheme !== null) {
    if (typeof scheme !== 'string' || !SCHEMES.includes(scheme)) {
      diag.error(`${at}.scheme`, 'UnsupportedValue', `scheme must be http or https, not ${JSON.stringify(scheme)}`);
      return null;
    }
    config.scheme = scheme;
  }
  const hostname = stringField(raw, 'hostname');
  if (hostname !== undefined) config.hostname = hostname;
  const port = field(raw, 'port');
  if (port !== undefined && port !== null) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      diag.error(`${at}.port`, 'UnsupportedValue', `port must be from 1 to 65535, not ${JSON.stringify(port)}`);
      return null;
    }
    config.port = port;
  }
  const statusCode = field(raw, 'statusCode') ?? 302;
  if (typeof statusCode !== 'number' || !REDIRECT_CODES.includes(statusCode)) {
    diag.error(`${at}.statusCode`, 'UnsupportedValue', `statusCode must be one of ${REDIRECT_CODES.join(', ')}, not ${JSON.stringify(statusCode)}`);
    return null;
  }
  config.statusCode = statusCode;
  const path = pathModifier(field(raw, 'path'), `${at}.path`, matchedPrefix, diag);
  if (path === null) return null;
  if (path !== undefined) config.path = path;
  return config;
}

function rewrite(raw: unknown, at: string, matchedPrefix: string | null, diag: ObjectDiagnostics): MiddlewareSpec['config'] | null {
  const config: Record<string, unknown> = {};
  const hostname = stringField(raw, 'hostname');
  if (hostname !== undefined) config.hostname = hostname;
  const path = pathModifier(field(raw, 'path'), `${at}.path`, matchedPrefix, diag);
  if (path === null) return null;
  if (path !== undefined) config.path = path;
  return config;
}

/** HTTPCORSFilter -> the cors middleware's configuration ("*" in allowMethods/allowHeaders/exposeHeaders passes through). */
function cors(raw: unknown, at: string, diag: ObjectDiagnostics): MiddlewareSpec['config'] | null {
  const list = (key: string): string[] => arrayField(raw, key).filter((v): v is string => typeof v === 'string');
  const origins = list('allowOrigins');
  if (origins.length === 0) {
    diag.error(`${at}.allowOrigins`, 'UnsupportedValue', 'allowOrigins is empty: no origin would be allowed');
    return null;
  }
  const methods = list('allowMethods');
  const headers = list('allowHeaders');
  const maxAge = field(raw, 'maxAge');
  const credentials = field(raw, 'allowCredentials') === true;
  return {
    allowOrigins: origins,
    // The spec: with allowOrigins ["*"] and credentials, the request's Origin is echoed (never "*").
    ...(credentials && origins.includes('*') ? { echoAnyOriginWithCredentials: true } : {}),
    allowMethods: methods.length > 0 ? methods : ['GET', 'HEAD', 'POST'],
    allowHeaders: headers,
    exposeHeaders: list('exposeHeaders'),
    allowCredentials: credentials,
    maxAgeSeconds: typeof maxAge === 'number' ? maxAge : 5,
    // The spec allows 200 or 204; the conformance suite insists on 200 for most preflights.
    preflightStatus: 200,
  };
}

function mirror(raw: unknown, at: string, fctx: FilterContext, diag: ObjectDiagnostics): MiddlewareSpec['config'] | null {
  const endpoints = fctx.mirrorEndpoints(field(raw, 'backendRef'), `${at}.backendRef`);
  if (endpoints === null) return null;
  let fraction = 1;
  const percent = field(raw, 'percent');
  const share = field(raw, 'fraction');
  if (typeof percent === 'number') fraction = percent / 100;
  else if (isRecord(share)) {
    const numerator = field(share, 'numerator');
    const denominator = field(share, 'denominator') ?? 100;
    if (typeof numerator !== 'number' || typeof denominator !== 'number' || denominator <= 0 || numerator < 0 || numerator > denominator) {
      diag.error(`${at}.fraction`, 'UnsupportedValue', 'fraction needs 0 <= numerator <= denominator, denominator > 0');
      return null;
    }
    fraction = numerator / denominator;
  }
  if (!(fraction >= 0 && fraction <= 1)) {
    diag.error(`${at}.percent`, 'UnsupportedValue', 'percent must be from 0 to 100');
    return null;
  }
  return { targets: [{ endpoints, fraction }] };
}

/**
 * Reads `filters` (of a rule or a backendRef) at `at`. `matchedPrefix` is the PathPrefix value of the
 * match the middlewares serve (null for other path types), used by ReplacePrefixMatch.
 */
export function readFilters(filters: readonly unknown[], at: string, source: string, matchedPrefix: string | null, fctx: FilterContext, diag: ObjectDiagnostics): FilterResult {
  const result: FilterResult = { middlewares: [], answers: false, failed: false };
  filters.forEach((filter, i) => {
    const fAt = `${at}[${i}]`;
    const type = isRecord(filter) ? filter.type : undefined;
    let spec: MiddlewareSpec | null = null;
    switch (type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const key = type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier';
        const edits = headerEdits(field(filter, key), `${fAt}.${key}`, diag);
        if (edits !== null) spec = { type: 'headers', source, config: { [type === 'RequestHeaderModifier' ? 'request' : 'response']: edits } };
        break;
      }
      case 'RequestRedirect': {
        const config = redirect(field(filter, 'requestRedirect'), `${fAt}.requestRedirect`, matchedPrefix, diag);
        if (config !== null) {
          spec = { type: 'gateway-redirect', source, config };
          result.answers = true;
        }
        break;
      }
      case 'URLRewrite': {
        const config = rewrite(field(filter, 'urlRewrite'), `${fAt}.urlRewrite`, matchedPrefix, diag);
        if (config !== null) spec = { type: 'gateway-rewrite', source, config };
        break;
      }
      case 'CORS': {
        const config = cors(field(filter, 'cors'), `${fAt}.cors`, diag);
        if (config !== null) spec = { type: 'cors', source, config };
        break;
      }
      case 'RequestMirror': {
        const config = mirror(field(filter, 'requestMirror'), `${fAt}.requestMirror`, fctx, diag);
        if (config !== null) spec = { type: 'request-mirror', source, config };
        break;
      }
      case 'ExtensionRef': {
        const ref = field(filter, 'extensionRef');
        const group = stringField(ref, 'group');
        const kind = stringField(ref, 'kind');
        const name = stringField(ref, 'name');
        if (group !== 'tideway.dev' || kind !== 'Middleware' || name === undefined) {
          diag.error(`${fAt}.extensionRef`, 'InvalidKind', `extensionRef ${String(group)}/${String(kind)} is not supported (tideway.dev/Middleware is); requests of this rule are answered 500`);
        } else spec = fctx.extensionRef(name, `${fAt}.extensionRef`);
        // The Middleware's own parser already ran: skip the check below.
        if (spec !== null) {
          result.middlewares.push(spec);
          return;
        }
        break;
      }
      default:
        diag.error(`${fAt}.type`, 'UnsupportedValue', `filter type ${JSON.stringify(type)} is not supported; requests of this rule are answered 500`);
    }
    if (spec !== null) {
      // The middleware's own parser has the last word (host names, paths): what it refuses fails closed here.
      try {
        BUILTIN_CONFIG_PARSERS[spec.type]?.(spec.config);
      } catch (err) {
        diag.error(`${fAt}`, 'UnsupportedValue', `${(err as Error).message}; requests of this rule are answered 500`);
        spec = null;
      }
    }
    if (spec === null) result.failed = true;
    else result.middlewares.push(spec);
  });
  return result;
}
