// The predicates a Gateway API match adds after host and path: method, headers and query parameters.
// Only routes that have predicates carry a guard, so Ingress routes and predicate-free HTTPRoute rules
// pay nothing for it. Headers are read from the flat [name, value, ...] list both protocols hold.
import type { GatewayRouteInfo, ValueMatchSpec } from './spec.ts';
import { sameHeaderName } from '../lib/header-name.ts';

interface ValueTest {
  readonly name: string;
  readonly exact: string | null;
  readonly regex: RegExp | null;
}

/**
 * RegularExpression values must match the whole value (as Envoy's safe_regex does). Throws SyntaxError
 * for an invalid source; translate() checks with the same function, so both agree by construction.
 */
export function compileValueRegex(source: string): RegExp {
  new RegExp(source);
  return new RegExp(`^(?:${source})$`);
}

function valueTest(spec: ValueMatchSpec, lowerName: boolean): ValueTest {
  return {
    name: lowerName ? spec.name.toLowerCase() : spec.name,
    exact: spec.type === 'Exact' ? spec.value : null,
    regex: spec.type === 'RegularExpression' ? compileValueRegex(spec.value) : null,
  };
}

function passes(test: ValueTest, value: string | undefined): boolean {
  if (value === undefined) return false;
  return test.exact !== null ? value === test.exact : test.regex!.test(value);
}

function decode(text: string): string {
  const plus = text.replace(/\+/g, ' ');
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** The first value of query parameter `name` in path (as received), decoded; undefined when absent. */
function queryValue(path: string, name: string): string | undefined {
  let i = path.indexOf('?');
  if (i < 0) return undefined;
  i++;
  while (i < path.length) {
    let end = path.indexOf('&', i);
    if (end < 0) end = path.length;
    const eq = path.indexOf('=', i);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (decode(path.slice(i, nameEnd)) === name) return nameEnd === end ? '' : decode(path.slice(nameEnd + 1, end));
    i = end + 1;
  }
  return undefined;
}

export class RouteGuard {
  /** Listener ports the route is served on; null for every port. */
  readonly ports: readonly number[] | null;
  readonly method: string;
  readonly headers: readonly ValueTest[];
  readonly queryParams: readonly ValueTest[];

  constructor(info: GatewayRouteInfo) {
    this.ports = info.ports ?? null;
    this.method = info.method;
    this.headers = info.headers.map((h) => valueTest(h, true));
    this.queryParams = info.queryParams.map((q) => valueTest(q, false));
  }

  /** `headers` is the request's flat [name, value, ...] list; `path` the request target with its query. */
  test(method: string, headers: readonly string[], path: string, port: number): boolean {
    if (this.ports !== null && !this.ports.includes(port)) return false;
    if (this.method !== '' && method !== this.method) return false;
    for (let h = 0; h < this.headers.length; h++) {
      const test = this.headers[h]!;
      let value: string | undefined;
      for (let i = 0; i < headers.length; i += 2) {
        if (sameHeaderName(headers[i]!, test.name)) {
          value = headers[i + 1];
          break;
        }
      }
      if (!passes(test, value)) return false;
    }
    for (let q = 0; q < this.queryParams.length; q++) {
      const test = this.queryParams[q]!;
      if (!passes(test, queryValue(path, test.name))) return false;
    }
    return true;
  }
}

/** True when the route has a predicate beyond host and path (the listener port counts). */
export function hasPredicates(info: GatewayRouteInfo | undefined): info is GatewayRouteInfo {
  return info !== undefined && (info.ports !== undefined || info.method !== '' || info.headers.length > 0 || info.queryParams.length > 0);
}

/**
 * HTTPRoute precedence among routes of the same host and path (Gateway API, HTTPRouteRule): a method
 * match first, then more header matches, then more query-parameter matches, then translate()'s order
 * (oldest route, namespace/name, rule and match order). Negative: a goes first.
 */
export function comparePrecedence(a: GatewayRouteInfo | undefined, b: GatewayRouteInfo | undefined): number {
  const methodA = a !== undefined && a.method !== '' ? 1 : 0;
  const methodB = b !== undefined && b.method !== '' ? 1 : 0;
  if (methodA !== methodB) return methodB - methodA;
  const headersA = a?.headers.length ?? 0;
  const headersB = b?.headers.length ?? 0;
  if (headersA !== headersB) return headersB - headersA;
  const queryA = a?.queryParams.length ?? 0;
  const queryB = b?.queryParams.length ?? 0;
  if (queryA !== queryB) return queryB - queryA;
  return (a?.order ?? Number.MAX_SAFE_INTEGER) - (b?.order ?? Number.MAX_SAFE_INTEGER);
}
