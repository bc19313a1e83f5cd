// What every HTTP/1.1 connection of one listener shares: the current routing snapshot, limits and
// timeouts, and how to describe the listener to upstreams (scheme and port for X-Forwarded-*).
import type { CidrSet } from '../../lib/cidr.ts';
import type { RouteTable } from '../../routing/index.ts';
import type { RouteRuntime } from '../route-runtime.ts';
import type { ProxyCounters, RequestObserver, RequestTracerLike } from '../observer.ts';

export interface Http1Limits {
  /** Max bytes of request line plus headers (431 beyond). */
  maxHeaderBytes: number;
  /** Time allowed to receive a request's line and headers (408 beyond). */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request, body included (408 beyond). */
  requestTimeoutMs: number;
  /** Idle time allowed between requests on a keep-alive connection. */
  keepAliveTimeoutMs: number;
}

export interface Http1Context {
  /** The snapshot new requests route against; each request keeps the one it started with. */
  readonly snapshot: { table: RouteTable<RouteRuntime> };
  readonly limits: Http1Limits;
  readonly trustedProxies: CidrSet;
  readonly scheme: 'http' | 'https';
  /**
   * The Gateway API listener port this listener stands for, as written in Gateways: 80 for the plain
   * port, 443 for the HTTPS port, the port itself for a listener bound as written. Routes read it.
   */
  readonly gatewayPort: number;
  /** Port of the HTTPS listener, for HTTP-to-HTTPS redirects; null when there is none. */
  httpsPort: number | null;
  /** Listener port as a string, for X-Forwarded-Port (set once the port is bound). */
  localPort: string;
  readonly observer: RequestObserver;
  readonly counters: ProxyCounters;
  /** Null unless tracing is configured; then each request may get a span. */
  tracer: RequestTracerLike | null;
  /**
   * HTTPS port only: whether a request for `host` on a connection whose TLS server name (SNI) is
   * `serverName` would have been given another certificate: HTTP/2 answers it 421 (RFC 9110 15.5.20).
   */
  misdirected?(serverName: string, host: string): boolean;
  /** HTTPS port only: HTTP/1.1 requests are checked with `misdirected` too (the port validates client certificates). */
  misdirectedHttp1?: boolean;
  nextRequestId(): string;
}
