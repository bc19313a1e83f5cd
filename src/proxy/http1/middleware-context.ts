// The middleware Context for one HTTP/1.1 request. Built only for routes that have a chain; the request
// headers it exposes are the ones that will be forwarded (hop-by-hop and X-Forwarded-* already taken
// out: the proxy sets those itself), in the proxy's flat [name, value, ...] form.
import type { RequestView } from '../../middleware/types.ts';
import { ProxyContextBase } from '../context-base.ts';
import { FlatHeaderMap } from '../../middleware/header-map.ts';
import type { RouteSpec } from '../../routing/spec.ts';
import { classifyHeader, isListedIn, H_HOP, H_X_FORWARDED, H_X_REQUEST_ID } from '../../http1/index.ts';
import type { Http1Exchange } from './exchange.ts';

/** Headers of the client's request that are forwarded upstream. */
export function forwardedRequestHeaders(headers: readonly string[], tokens: readonly string[] | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const kind = classifyHeader(name);
    if ((kind & (H_HOP | H_X_FORWARDED | H_X_REQUEST_ID)) !== 0) continue;
    if (kind === 0 && tokens !== null && isListedIn(name, tokens)) continue;
    out.push(name, headers[i + 1]!);
  }
  return out;
}

class Http1RequestView implements RequestView {
  readonly method: string;
  readonly scheme: string;
  readonly listenerPort: number;
  readonly authority: string;
  path: string;
  readonly clientAddress: string;
  readonly protocol: 'HTTP/1.0' | 'HTTP/1.1';
  readonly requestId: string;
  readonly headers: FlatHeaderMap;
  readonly contentLength: number;
  readonly isUpgrade: boolean;

  constructor(exchange: Http1Exchange) {
    const conn = exchange.conn;
    const scan = exchange.scan;
    this.method = exchange.method;
    this.scheme = conn.trusted && scan.forwardedProto !== undefined ? scan.forwardedProto : conn.ctx.scheme;
    this.listenerPort = conn.ctx.gatewayPort;
    this.authority = scan.host ?? '';
    this.path = exchange.url;
    this.clientAddress = conn.clientAddressFor(scan.forwardedFor);
    this.protocol = exchange.versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1';
    this.requestId = exchange.requestId;
    this.headers = new FlatHeaderMap(forwardedRequestHeaders(exchange.headers, scan.connectionTokens));
    this.contentLength = scan.chunked ? -1 : Math.max(scan.contentLength, 0);
    this.isUpgrade = exchange.isUpgrade;
  }
}

export class Http1MiddlewareContext extends ProxyContextBase {
  readonly exchange: Http1Exchange;
  readonly request: Http1RequestView;

  constructor(exchange: Http1Exchange, route: RouteSpec) {
    super(route);
    this.exchange = exchange;
    this.request = new Http1RequestView(exchange);
  }

  protected requestBodyRead(): readonly Buffer[] | null {
    return this.exchange.bodyHeldForUpstream();
  }

  protected requestBodyComplete(): boolean {
    return this.exchange.requestBodyComplete();
  }

  /** The upstream answered: its status and (already filtered) headers enter the response phase. */
  setUpstreamResponse(status: number, headers: string[]): void {
    this.setResponse(status, new FlatHeaderMap(headers));
  }
}
