// The middleware Context for one HTTP/2 stream, the same view the HTTP/1.1 path gives (DESIGN: one
// request model for every protocol). Built only for routes that have a chain. Request headers are the
// ones that will be forwarded (pseudo-headers, hop-by-hop and X-Forwarded-* taken out, cookies as one
// field); response headers enter the response phase as a flat list with names lower-case.
import type { RequestView } from '../../middleware/types.ts';
import { ProxyContextBase } from '../context-base.ts';
import { FlatHeaderMap } from '../../middleware/header-map.ts';
import type { RouteSpec } from '../../routing/spec.ts';
import { forwardedRequestHeaders } from '../http1/middleware-context.ts';
import type { Http2StreamExchange } from './stream-exchange.ts';
import type { ResponseFields } from './fields.ts';

class Http2RequestView implements RequestView {
  readonly method: string;
  readonly scheme: string;
  readonly listenerPort: number;
  readonly authority: string;
  path: string;
  readonly clientAddress: string;
  readonly protocol = 'HTTP/2' as const;
  readonly requestId: string;
  readonly headers: FlatHeaderMap;
  readonly contentLength: number;
  readonly isUpgrade: boolean;

  constructor(ex: Http2StreamExchange, websocket: boolean) {
    const request = ex.request;
    const scan = request.scan;
    this.method = websocket ? 'GET' : request.method;
    this.scheme = ex.trusted && scan.forwardedProto !== undefined ? scan.forwardedProto : ex.ctx.scheme;
    this.listenerPort = ex.ctx.gatewayPort;
    this.authority = request.authority ?? '';
    this.path = request.path;
    this.clientAddress = ex.clientAddress;
    this.requestId = ex.requestId;
    this.headers = new FlatHeaderMap(forwardedRequestHeaders(request.headers, scan.connectionTokens));
    this.contentLength = request.hasBody ? scan.contentLength : 0;
    this.isUpgrade = websocket;
  }
}

export class Http2MiddlewareContext extends ProxyContextBase {
  readonly exchange: Http2StreamExchange;
  readonly request: Http2RequestView;

  constructor(exchange: Http2StreamExchange, route: RouteSpec, websocket: boolean) {
    super(route);
    this.exchange = exchange;
    this.request = new Http2RequestView(exchange, websocket);
  }

  // The client stream is not read before the upstream call starts: nothing is held yet.
  protected requestBodyRead(): null {
    return null;
  }

  protected requestBodyComplete(): boolean {
    return !this.exchange.request.hasBody;
  }

  /** The upstream answered: its status and fields enter the response phase. */
  setUpstreamResponse(fields: ResponseFields): void {
    if (Array.isArray(fields)) {
      // [':status', status, name, value, ...]
      this.setResponse(Number(fields[1]), new FlatHeaderMap(fields.slice(2)));
      return;
    }
    const flat: string[] = [];
    for (const name of Object.keys(fields)) {
      if (name.charCodeAt(0) === 0x3a) continue;
      const value = fields[name];
      if (Array.isArray(value)) for (const v of value) flat.push(name, String(v));
      else if (value !== undefined) flat.push(name, String(value));
    }
    this.setResponse(Number(fields[':status']), new FlatHeaderMap(flat));
  }
}
